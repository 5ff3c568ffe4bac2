import { createAppAuth } from '@octokit/auth-app';
import { type ForgeApi, type ForgeKind } from '../src/modules/git-providers/application/ports/forge.js';
import { ConditionalCache, ForgeHttp, PAGE_CONCURRENCY, parseLinkHeader } from '../src/forges/shared/forge-http.js';
import { UrlGuard } from '../src/forges/shared/url-guard.js';
import { createGitHubApi, gitHubApiBase, type GitHubDeps } from '../src/forges/github/index.js';
import { gitHubOctokit } from '../src/forges/github/github-transport.js';
import { createGitLabApi } from '../src/forges/gitlab/gitlab-api.js';
import { createGiteaApi } from '../src/forges/gitea/index.js';
import { bitbucketAuthorization, createBitbucketApi, type BitbucketAuth } from '../src/forges/bitbucket/bitbucket-api.js';
import { FakeGitHub } from '../test/fakes/github-server.js';
import { FakeGitLab } from '../test/fakes/gitlab-server.js';
import { FakeGitea } from '../test/fakes/gitea-server.js';
import { FakeBitbucket } from '../test/fakes/bitbucket-server.js';
import { count, median, ms, printTable, timed, timeRatio, type Row } from './support/report.js';

export interface ListingOptions {
  readonly repositories: number;
  /** Delay the fake forges add before every answer. */
  readonly latencyMs: number;
  /** Runs of each approach per forge; the median is reported. */
  readonly repetitions: number;
}

/** One forge under test: the real adapter, the naive sequential pager, and the fake's request counter. */
interface Subject {
  readonly label: string;
  readonly adapter: () => Promise<number>;
  readonly sequential: () => Promise<number>;
  readonly requests: () => number;
  readonly reset: () => void;
  readonly setLatency: (ms: number) => void;
  readonly stop: () => Promise<void>;
}

const guard = new UrlGuard(['127.0.0.1']);
const httpFor = (forge: ForgeKind, cache?: ConditionalCache): ForgeHttp => new ForgeHttp({ forge, guard, cache, timeoutMs: 30_000 });

/** The naive approach: page 1, 2, … one after another until the forge says there is no next page. */
async function pageByPage(fetchPage: (page: number) => Promise<{ items: number; next: boolean }>): Promise<number> {
  let total = 0;
  for (let page = 1; page <= 10_000; page++) {
    const { items, next } = await fetchPage(page);
    total += items;
    if (!next || items === 0) break;
  }
  return total;
}

const listed = (api: ForgeApi) => async (): Promise<number> => (await api.listRepositories()).length;

async function gitHub(repositories: number): Promise<Subject> {
  const fake = new FakeGitHub();
  await fake.start();
  const app = fake.addApp({ appId: 1 });
  fake.addInstallation(1, 10, 'acme');
  fake.setRepositories(10, repositories);
  const deps: GitHubDeps = { guard, timeoutMs: 30_000 };
  const connection = { githubUrl: fake.url, appId: 1, privateKey: app.privateKey, installationId: 10 };
  // The same guarded Octokit transport the adapter uses, with its own app auth (installation token cached after the warm-up).
  const octokit = gitHubOctokit(deps, { apiBase: gitHubApiBase(fake.url) }, () =>
    createAppAuth({ appId: 1, privateKey: app.privateKey, installationId: 10 }),
  );
  return {
    label: 'GitHub (App installation)',
    adapter: listed(createGitHubApi(deps, connection)),
    sequential: () =>
      pageByPage(async (page) => {
        const response = await octokit.request('GET /installation/repositories', { per_page: 100, page });
        return { items: response.data.repositories.length, next: parseLinkHeader(response.headers.link ?? null).next !== undefined };
      }),
    requests: () => fake.requests.length,
    reset: () => fake.resetCounters(),
    setLatency: (latency) => (fake.latencyMs = latency),
    stop: () => fake.stop(),
  };
}

async function gitLab(repositories: number): Promise<Subject> {
  const fake = new FakeGitLab();
  await fake.start();
  fake.setProjects(repositories);
  const token = fake.issueAccessToken();
  const http = httpFor('gitlab');
  const api = createGitLabApi(http, { gitlabUrl: fake.url, accessToken: async () => token, cacheScope: 'bench' });
  return {
    label: 'GitLab',
    adapter: listed(api),
    sequential: () =>
      pageByPage(async (page) => {
        const response = await http.request<unknown[]>({
          url: `${fake.url}/api/v4/projects?membership=true&simple=true&per_page=100&page=${page}`,
          headers: { authorization: `Bearer ${token}` },
          what: 'listing projects',
        });
        return { items: response.data.length, next: parseLinkHeader(response.headers.get('link')).next !== undefined };
      }),
    requests: () => fake.requests.length,
    reset: () => fake.clearLog(),
    setLatency: (latency) => (fake.options.latencyMs = latency),
    stop: () => fake.stop(),
  };
}

async function gitea(repositories: number): Promise<Subject> {
  const fake = new FakeGitea();
  await fake.start();
  fake.setRepositories(repositories);
  const { accessToken } = fake.issueTokens();
  const http = httpFor('gitea');
  const api = createGiteaApi(http, { giteaUrl: fake.url, accessToken: async () => accessToken, cacheScope: 'bench' });
  return {
    label: `Gitea (MAX_RESPONSE_ITEMS ${fake.maxResponseItems})`,
    adapter: listed(api),
    sequential: () =>
      pageByPage(async (page) => {
        const response = await http.request<unknown[]>({
          url: `${fake.url}/api/v1/user/repos?page=${page}&limit=${fake.maxResponseItems}`,
          headers: { authorization: `token ${accessToken}` },
          what: 'listing repositories',
        });
        return { items: response.data.length, next: parseLinkHeader(response.headers.get('link')).next !== undefined };
      }),
    requests: () => fake.requests.filter((r) => r.api).length,
    reset: () => fake.resetStats(),
    setLatency: (latency) => (fake.latencyMs = latency),
    stop: () => fake.stop(),
  };
}

async function bitbucket(repositories: number): Promise<Subject> {
  const fake = new FakeBitbucket();
  await fake.start();
  const auth: BitbucketAuth = { method: 'api_token', email: 'bench@example.com', apiToken: 'ATATT-bench' };
  fake.addApiToken(auth.email, auth.apiToken);
  fake.setRepositories('acme', repositories);
  const http = httpFor('bitbucket');
  const api = createBitbucketApi(http, { apiUrl: fake.apiUrl, workspace: 'acme', auth, cacheScope: 'bench' });
  return {
    label: 'Bitbucket Cloud',
    adapter: listed(api),
    sequential: () =>
      pageByPage(async (page) => {
        const response = await http.request<{ values: unknown[]; next?: string }>({
          url: `${fake.apiUrl}/repositories/acme?role=member&pagelen=100&page=${page}`,
          headers: { authorization: bitbucketAuthorization(auth) },
          what: 'listing repositories',
        });
        return { items: response.data.values.length, next: response.data.next !== undefined };
      }),
    requests: () => fake.requests.length,
    reset: () => fake.clearRequests(),
    setLatency: (latency) => fake.setDelay(latency),
    stop: () => fake.stop(),
  };
}

async function measure(
  subject: Subject,
  run: () => Promise<number>,
  expected: number,
  latencyMs: number,
): Promise<{ ms: number; requests: number }> {
  subject.reset();
  subject.setLatency(latencyMs);
  const { value, ms: elapsed } = await timed(run);
  subject.setLatency(0);
  if (value !== expected) throw new Error(`${subject.label}: listed ${value} repositories, expected ${expected}`);
  return { ms: elapsed, requests: subject.requests() };
}

/** 1. The adapters' bounded concurrent paging vs. fetching the same pages one after another. */
export async function benchListing(options: ListingOptions): Promise<void> {
  const rows: Row[] = [];
  for (const make of [gitHub, gitLab, gitea, bitbucket]) {
    const subject = await make(options.repositories);
    try {
      // Warm-up without latency: installation token, Gitea's page cap, JIT.
      await measure(subject, subject.adapter, options.repositories, 0);
      await measure(subject, subject.sequential, options.repositories, 0);
      const adapter: { ms: number; requests: number }[] = [];
      const sequential: { ms: number; requests: number }[] = [];
      for (let i = 0; i < options.repetitions; i++) {
        adapter.push(await measure(subject, subject.adapter, options.repositories, options.latencyMs));
        sequential.push(await measure(subject, subject.sequential, options.repositories, options.latencyMs));
      }
      const a = median(adapter.map((r) => r.ms));
      const s = median(sequential.map((r) => r.ms));
      rows.push({
        case: subject.label,
        measured: `${ms(a)}, ${count(median(adapter.map((r) => r.requests)))} req`,
        baseline: `${ms(s)}, ${count(median(sequential.map((r) => r.requests)))} req`,
        ratio: `${timeRatio(a, s)}; goal ≥ 6× faster: ${s / a >= 6 ? 'met' : 'NOT met'}`,
      });
    } finally {
      await subject.stop();
    }
  }
  printTable(
    `P2. Repository listing: ${count(options.repositories)} repositories, ${options.latencyMs} ms per request (median of ${options.repetitions} runs)`,
    rows,
    { case: 'forge', measured: 'adapter (concurrent pages)', baseline: 'sequential page=1..N', ratio: 'ratio (time)' },
    [`wall time and requests per listing; the adapters fetch the pages after the first with at most ${PAGE_CONCURRENCY} in flight`],
  );
}

/** 2. A repeat listing revalidates every page with If-None-Match: GitHub answers 304 and charges nothing. */
export async function benchConditional(options: ListingOptions): Promise<void> {
  const fake = new FakeGitHub();
  await fake.start();
  try {
    const app = fake.addApp({ appId: 2 });
    fake.addInstallation(2, 20, 'acme');
    fake.setRepositories(20, options.repositories);
    const deps: GitHubDeps = { guard, timeoutMs: 30_000 };
    const connection = { githubUrl: fake.url, appId: 2, privateKey: app.privateKey, installationId: 20 };
    await createGitHubApi(deps, connection).getRepository('acme/repo-00001'); // the installation token, outside the measured listings

    const listing = async (api: ForgeApi): Promise<{ ms: number; sent: number; charged: number; notModified: number }> => {
      fake.resetCounters();
      fake.latencyMs = options.latencyMs;
      const { value, ms: elapsed } = await timed(() => api.listRepositories());
      fake.latencyMs = 0;
      if (value.length !== options.repositories)
        throw new Error(`GitHub: listed ${value.length} repositories, expected ${options.repositories}`);
      return {
        ms: elapsed,
        sent: fake.requests.length,
        charged: fake.requestsCharged,
        notModified: fake.requests.filter((r) => r.status === 304).length,
      };
    };
    // Each round: a fresh ETag cache (first listing), then the same listing again within the cache's lifetime.
    const firsts: Awaited<ReturnType<typeof listing>>[] = [];
    const repeats: Awaited<ReturnType<typeof listing>>[] = [];
    for (let i = 0; i < options.repetitions; i++) {
      const api = createGitHubApi({ ...deps, cache: new ConditionalCache() }, connection);
      firsts.push(await listing(api));
      repeats.push(await listing(api));
    }
    const summary = (runs: Awaited<ReturnType<typeof listing>>[]) => ({
      ms: median(runs.map((r) => r.ms)),
      sent: median(runs.map((r) => r.sent)),
      charged: median(runs.map((r) => r.charged)),
      notModified: median(runs.map((r) => r.notModified)),
    });
    const first = summary(firsts);
    const repeat = summary(repeats);

    printTable(
      `2. Conditional requests: GitHub, ${count(options.repositories)} repositories, ${options.latencyMs} ms per request`,
      [
        {
          case: 'requests charged to the rate limit',
          measured: count(repeat.charged),
          baseline: count(first.charged),
          ratio: `${(repeat.charged / first.charged).toFixed(2)}×`,
        },
        {
          case: 'requests sent',
          measured: count(repeat.sent),
          baseline: count(first.sent),
          ratio: `${(repeat.sent / first.sent).toFixed(2)}×`,
        },
        { case: 'wall time', measured: ms(repeat.ms), baseline: ms(first.ms), ratio: timeRatio(repeat.ms, first.ms) },
      ],
      { case: `figure (median of ${options.repetitions})`, measured: 'repeat listing', baseline: 'first listing', ratio: 'ratio' },
      [
        `a repeat gets ${count(repeat.notModified)} of ${count(repeat.sent)} pages as 304 Not Modified: each page is revalidated with If-None-Match (the ETag cache is an LRU without expiry)`,
        'the installation token was taken before both listings; a 304 saves rate limit, not time: each page still costs a round trip and the cached page is parsed again',
      ],
    );
  } finally {
    await fake.stop();
  }
}
