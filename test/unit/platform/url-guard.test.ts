import { describe, it, expect } from 'vitest';
import { UrlGuard, isPublicAddress } from '../../../src/forges/shared/url-guard.js';

/** A resolver stub: never touches DNS. Unknown names fail like NXDOMAIN. */
const resolver = (table: Record<string, string[]>) => {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<string[]> => {
    asked.push(host);
    const found = table[host];
    if (!found) throw new Error(`ENOTFOUND ${host}`);
    return found;
  };
  return { resolve, asked };
};

const dns = resolver({
  'gitlab.example.com': ['203.0.114.10'],
  'git.public.example': ['8.8.8.8', '2606:4700::1111'],
  'rebind.example.com': ['8.8.8.8', '10.0.0.5'],
  'internal.example.com': ['192.168.1.20'],
  'v6only.example.com': ['fd12:3456::1'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  'empty.example.com': [],
});

describe('UrlGuard', () => {
  const guard = new UrlGuard([], dns.resolve);

  it('accepts https URLs that resolve only to public addresses', async () => {
    expect(await guard.check('https://gitlab.example.com')).toBeNull();
    expect(await guard.check('https://git.public.example:8443/api/v4')).toBeNull();
    expect(await guard.check('https://8.8.8.8')).toBeNull();
    expect(await guard.check('https://[2606:4700::1111]/')).toBeNull();
  });

  it('requires https unless the host is allowlisted', async () => {
    expect(await guard.check('http://gitlab.example.com')).toMatch(/https/);
    expect(await new UrlGuard(['gitlab.example.com'], dns.resolve).check('http://gitlab.example.com')).toBeNull();
  });

  it.each(['ftp://gitlab.example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'gitlab.example.com'])(
    'refuses %j',
    async (url) => {
      expect(await guard.check(url)).toBeTypeOf('string');
    },
  );

  it('refuses credentials in the URL', async () => {
    expect(await guard.check('https://user:pass@gitlab.example.com')).toMatch(/credentials/);
  });

  it.each([
    'https://127.0.0.1',
    'https://127.1.2.3:8443',
    'https://0.0.0.0',
    'https://10.1.2.3',
    'https://172.16.0.1',
    'https://172.31.255.255',
    'https://192.168.0.1',
    'https://100.64.0.1',
    'https://169.254.169.254',
    'https://[::1]',
    'https://[::]',
    'https://[fc00::1]',
    'https://[fd12:3456::1]',
    'https://[fe80::1]',
    'https://[::ffff:127.0.0.1]',
    'https://[::ffff:10.0.0.1]',
    'https://[::ffff:7f00:1]',
    'https://2130706433',
    'https://0x7f000001',
    'https://127.1',
    'https://224.0.0.1',
  ])('refuses the loopback/private/link-local/ULA/mapped address %s', async (url) => {
    expect(await guard.check(url)).toMatch(/private or loopback|local name/);
  });

  it.each(['https://localhost', 'https://api.localhost', 'https://gitea.local', 'https://gitlab.internal'])(
    'refuses the local name %s without resolving it',
    async (url) => {
      const before = dns.asked.length;
      expect(await guard.check(url)).toMatch(/local name/);
      expect(dns.asked.length).toBe(before);
    },
  );

  it('refuses a DNS name that resolves to a private address, even when another address is public', async () => {
    expect(await guard.check('https://internal.example.com')).toMatch(/private or loopback/);
    expect(await guard.check('https://rebind.example.com')).toMatch(/private or loopback/);
    expect(await guard.check('https://v6only.example.com')).toMatch(/private or loopback/);
    expect(await guard.check('https://mapped.example.com')).toMatch(/private or loopback/);
    expect(await guard.check('https://metadata.example.com')).toMatch(/private or loopback/);
  });

  it("accepts the forges' own SaaS hosts over https without a lookup, and only on the https port", async () => {
    const probe = resolver({});
    const offline = new UrlGuard([], probe.resolve);
    for (const url of [
      'https://github.com',
      'https://api.github.com/installation/repositories',
      'https://gitlab.com',
      'https://api.bitbucket.org/2.0',
      'https://codeberg.org',
      'https://acme.ghe.com',
      'https://api.acme.ghe.com',
    ]) {
      expect(await offline.check(url), url).toBeNull();
    }
    expect(probe.asked).toEqual([]);
    expect(await offline.check('http://github.com')).toMatch(/must use https/);
    expect(await offline.check('https://github.com:8443')).toMatch(/does not resolve/);
    expect(await offline.check('https://github.com.evil.example')).toMatch(/does not resolve/);
    expect(await offline.check('https://a.b.ghe.com')).toMatch(/does not resolve/);
  });

  it('refuses a name that does not resolve', async () => {
    expect(await guard.check('https://nowhere.example.com')).toMatch(/does not resolve/);
    expect(await guard.check('https://empty.example.com')).toMatch(/does not resolve/);
  });

  it('allowlists a host (any port, http or https) and host:port (that port only)', async () => {
    const byHost = new UrlGuard(['127.0.0.1', 'Internal.Example.com'], dns.resolve);
    expect(await byHost.check('http://127.0.0.1:4567/api')).toBeNull();
    expect(await byHost.check('https://127.0.0.1')).toBeNull();
    expect(await byHost.check('https://internal.example.com')).toBeNull();
    expect(await byHost.check('https://10.0.0.1')).toMatch(/private or loopback/);

    const byPort = new UrlGuard(['gitea.corp:3000', '127.0.0.1:443', '[::1]:8443'], dns.resolve);
    expect(await byPort.check('http://gitea.corp:3000')).toBeNull();
    expect(await byPort.check('http://gitea.corp:3001')).toBeTypeOf('string');
    expect(await byPort.check('https://127.0.0.1')).toBeNull();
    expect(await byPort.check('https://127.0.0.1:444')).toMatch(/private or loopback/);
    expect(await byPort.check('https://[::1]:8443')).toBeNull();
    expect(await byPort.check('https://[::1]:8444')).toMatch(/private or loopback/);
  });

  it('allowlists an IPv6 host written with or without brackets', async () => {
    for (const entry of ['fd00::12', '[fd00::12]']) {
      const allowed = new UrlGuard([entry], dns.resolve);
      expect(await allowed.check('http://[fd00::12]:3000/'), entry).toBeNull();
      expect(await allowed.check('https://[fd00::13]/'), entry).toMatch(/private or loopback/);
    }
    expect(await new UrlGuard(['[fd00::12]:3000'], dns.resolve).check('http://[fd00::12]:3000/')).toBeNull();
  });

  it('isPublicAddress', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(a)).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.1.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:192.168.0.1',
      '::ffff:7f00:1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(a)).toBe(false);
    }
  });
});
