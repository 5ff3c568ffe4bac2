import { lookup } from 'node:dns/promises';
import { isIP, BlockList } from 'node:net';

/**
 * SSRF guard for self-hosted forge URLs and every request made to them.
 * A URL must be https and resolve only to public addresses, unless its host (or host:port) is in
 * FORGE_URL_ALLOWLIST. Checked at create/update and again before each request, because DNS can change.
 */
export class UrlGuard {
  private readonly allow: ReadonlySet<string>;

  constructor(
    allowlist: readonly string[],
    private readonly resolve: (host: string) => Promise<string[]> = defaultResolve,
  ) {
    this.allow = new Set(allowlist.map((h) => h.trim().toLowerCase()).filter(Boolean));
  }

  /** Returns null when the URL may be reached, else a reason fit for a 400 message. */
  async check(raw: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'is not a valid URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
    if (url.username || url.password) return 'must not contain credentials';
    // A trailing dot is the same host to DNS ("localhost." is localhost).
    const host = url.hostname
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
    if (this.isAllowlisted(url)) return null;
    if (url.protocol !== 'https:') return `must use https (plain http is allowed only for hosts in FORGE_URL_ALLOWLIST)`;
    // The forges' own SaaS hosts are public by definition: no lookup, so a provider with the default
    // github.com/gitlab.com URL can be created even where DNS is slow or unavailable.
    if (isKnownPublicForge(host) && (url.port === '' || url.port === '443')) return null;
    if (LOCAL_NAMES.has(host) || /\.(localhost|local|internal|localdomain)$/.test(host)) {
      return `host ${host} is a local name; add it to FORGE_URL_ALLOWLIST to allow it`;
    }
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = await this.resolve(host);
      } catch {
        return `host ${host} does not resolve`;
      }
    }
    if (addresses.length === 0) return `host ${host} does not resolve`;
    const blocked = addresses.find((a) => !isPublicAddress(a));
    if (blocked) return `host ${host} resolves to a private or loopback address; add it to FORGE_URL_ALLOWLIST to allow it`;
    return null;
  }

  private isAllowlisted(url: URL): boolean {
    const host = url.hostname.toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    // An IPv6 hostname comes bracketed ([fd00::1]); accept the bare form in the list too.
    const bare = host.replace(/^\[|\]$/g, '');
    return this.allow.has(host) || this.allow.has(bare) || this.allow.has(`${host}:${port}`);
  }
}

const PUBLIC_FORGES = new Set([
  'github.com',
  'api.github.com',
  'gitlab.com',
  'bitbucket.org',
  'api.bitbucket.org',
  'codeberg.org',
  'gitea.com',
]);

/** github.com, gitlab.com, Bitbucket Cloud, Codeberg, gitea.com, and GitHub Enterprise Cloud (`*.ghe.com`). */
export function isKnownPublicForge(host: string): boolean {
  return PUBLIC_FORGES.has(host) || /^(api\.)?[a-z0-9-]+\.ghe\.com$/.test(host);
}

/** Loopback names /etc/hosts commonly carries: refused by name, before any DNS lookup. */
const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'localhost4', 'localhost6', 'ip6-localhost', 'ip6-loopback']);

const defaultResolve = async (host: string): Promise<string[]> => (await lookup(host, { all: true, verbatim: true })).map((r) => r.address);

const privateRanges = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const)
    list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['::', 96],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
    ['64:ff9b::', 96],
    ['2001:db8::', 32],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
})();

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return isPublicAddress(mapped[1]);
    return !privateRanges.check(address, 'ipv6');
  }
  return !privateRanges.check(address, 'ipv4');
}
