import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { type Response } from 'supertest';
import { type TestApp } from '../../support/app.js';
import { type EventEnvelope as Envelope } from '../../../src/platform/events/event-publisher.js';

/** Forge URLs on 127.0.0.1 (allowlisted in tests): nothing here resolves a public name or leaves the machine. */
export const GITHUB_URL = 'http://127.0.0.1:9';
export const GITLAB_URL = 'http://127.0.0.1:9/gitlab';
export const GITEA_URL = 'http://127.0.0.1:9/gitea';

let pem: string | undefined;

/** A real 2048-bit RSA private key, PKCS#1 PEM (what GitHub hands out for an App). */
export function privateKeyPem(): string {
  pem ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return pem;
}

/** A recognisable, unique secret string (so a leak check cannot pass by accident). */
export const secretString = (label: string): string => `${label}-${randomBytes(12).toString('hex')}`;

let names = 0;
export const uniqueName = (prefix: string): string => `${prefix} ${Date.now().toString(36)}-${++names}`;

export function githubBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: uniqueName('GitHub'),
    githubUrl: GITHUB_URL,
    appId: 123456,
    installationId: 7890123,
    privateKey: privateKeyPem(),
    webhookSecret: secretString('whsec'),
    clientId: 'Iv1.0123456789abcdef',
    clientSecret: secretString('ghcs'),
    ...overrides,
  };
}

export function gitlabBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: uniqueName('GitLab'),
    gitlabUrl: GITLAB_URL,
    applicationId: 'app-0123456789',
    secret: secretString('glsec'),
    ...overrides,
  };
}

export function bitbucketBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: uniqueName('Bitbucket'),
    username: 'jdoe',
    email: 'jdoe@example.com',
    workspace: 'acme',
    apiToken: secretString('ATATT'),
    ...overrides,
  };
}

export function giteaBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: uniqueName('Gitea'),
    giteaUrl: GITEA_URL,
    clientId: 'gitea-client-0123',
    clientSecret: secretString('gtcs'),
    ...overrides,
  };
}

export const bodyFor = { github: githubBody, gitlab: gitlabBody, bitbucket: bitbucketBody, gitea: giteaBody } as const;
export type ProviderKind = keyof typeof bodyFor;
export const KINDS = ['github', 'gitlab', 'bitbucket', 'gitea'] as const;

/** An RFC 9457 problem with the contract's stable code. */
export function expectProblem(res: Response, status: number, code: string): void {
  expect(res.status, `${res.status} ${JSON.stringify(res.body)}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  if (code === 'VALIDATION_FAILED') {
    expect(Array.isArray(body.errors) && body.errors.length > 0, 'errors[] lists the problems').toBe(true);
    for (const e of body.errors as unknown[]) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
}

/** The contract's event envelope, as the feed returns it. */
export type { EventEnvelope as Envelope } from '../../../src/platform/events/event-publisher.js';

/** Reads the whole event feed (small pages) until `done` holds; events appear once their transaction is below every running one. */
export async function feedUntil(
  t: TestApp,
  auth: Record<string, string>,
  done: (events: Envelope[]) => boolean,
  deadlineMs = 15_000,
): Promise<Envelope[]> {
  const until = Date.now() + deadlineMs;
  const events: Envelope[] = [];
  let after: string | null = null;
  for (;;) {
    const res = await t.api
      .get('/v1/events')
      .query({ limit: 100, ...(after ? { after } : {}) })
      .set(auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const page = res.body as { items: Envelope[]; nextCursor: string | null };
    events.push(...page.items);
    after = page.nextCursor;
    if (page.items.length === 100) continue;
    if (done(events)) return events;
    if (Date.now() > until) return events;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
