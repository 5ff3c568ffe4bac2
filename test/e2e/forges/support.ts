import { generateKeyPairSync } from 'node:crypto';
import { expect, inject } from 'vitest';
import { HmacStateTokens } from '../../../src/modules/git-providers/infrastructure/hmac-state-tokens.js';
import { type StateClaims } from '../../../src/modules/git-providers/application/ports/state-tokens.js';
import { type TestApp } from '../../support/app.js';

export const PUBLIC_URL = 'http://forgelink.test';
export const DASHBOARD_URL = 'http://dashboard.test/integrations';

export type Auth = { Authorization: string };
type OAuthForge = 'gitlab' | 'gitea';

/** Follows the app's authorizeUrl to the fake forge (only 127.0.0.1) and returns the code + state it hands back. */
export async function approveOnForge(authorizeUrl: string, forge: OAuthForge): Promise<{ code: string; state: string }> {
  const url = new URL(authorizeUrl);
  expect(url.hostname).toBe('127.0.0.1');
  const answer = await fetch(url, { redirect: 'manual' });
  expect(answer.status, await answer.clone().text()).toBe(302);
  const location = new URL(answer.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(`${PUBLIC_URL}/v1/callbacks/${forge}`);
  const code = location.searchParams.get('code');
  const state = location.searchParams.get('state');
  if (!code || !state) throw new Error(`the forge redirected without code/state: ${location.toString()}`);
  return { code, state };
}

/** The browser's trip back: GET /v1/callbacks/<forge>?code&state on the app. */
export function callback(t: TestApp, forge: OAuthForge, query: { code: string; state: string }) {
  return t.api.get(`/v1/callbacks/${forge}`).query(query).redirects(0);
}

/** authorizeUrl → forge approval → callback → 302 to the dashboard with status=ok. */
export async function authorize(t: TestApp, forge: OAuthForge, authorizeUrl: string, providerId: string): Promise<void> {
  const back = await callback(t, forge, await approveOnForge(authorizeUrl, forge));
  expect(back.status, JSON.stringify(back.body)).toBe(302);
  expectDashboard(back.headers.location, providerId, 'ok');
}

export function expectDashboard(location: string | undefined, providerId: string, status: 'ok' | 'error'): void {
  const url = new URL(location ?? '');
  expect(`${url.origin}${url.pathname}`).toBe(DASHBOARD_URL);
  expect(url.searchParams.get('provider')).toBe(providerId);
  expect(url.searchParams.get('status')).toBe(status);
}

export interface Summary {
  id: string;
  type: string;
  status: string;
  version: number;
  github?: {
    githubUrl: string;
    appId: number | null;
    appSlug?: string;
    installationId?: number;
    installUrl?: string;
    webhookUrl: string;
    hasPrivateKey: boolean;
    hasWebhookSecret: boolean;
  };
  gitlab?: { redirectUri: string; hasTokens: boolean; tokenExpiresAt?: string };
  gitea?: { redirectUri: string; hasTokens: boolean; tokenExpiresAt?: string };
  bitbucket?: { hasCredentials: boolean; authMethod: string };
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

export async function summary(t: TestApp, auth: Auth, providerId: string): Promise<Summary> {
  const res = await t.api.get(`/v1/git-providers/${providerId}`).set(auth);
  expect(res.status).toBe(200);
  return res.body as Summary;
}

export function expectProblem(
  res: { status: number; body: unknown; headers: Record<string, string> },
  status: number,
  code: string,
): Problem {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Problem;
  expect(body).toMatchObject({ status, code });
  expect(typeof body.detail).toBe('string');
  return body;
}

/** A state signed with the test master key but issued `ageMs` ago (HmacStateTokens with a clock in the past). */
export function stateIssuedAgo(claims: StateClaims, ageMs: number): string {
  const unusedDb = { query: () => Promise.reject(new Error('not used to issue')) };
  return new HmacStateTokens(inject('masterKey'), unusedDb, () => Date.now() - ageMs).issue(claims);
}

/** Flips one character of the signature part, keeping the payload. */
export function tamper(state: string): string {
  const [body, signature = ''] = state.split('.');
  const last = signature.at(-1) === 'A' ? 'B' : 'A';
  return `${body}.${signature.slice(0, -1)}${last}`;
}

/** An RSA key that belongs to no app (a rotated-away key). */
export function strangerKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

let counter = 0;
export const unique = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;
