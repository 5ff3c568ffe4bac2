import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp, type TestMember } from '../../../test/support/app.js';
import { expectProblem, giteaBody } from '../../../test/e2e/core/support.js';
import { IDENTITY } from '../../../src/modules/identity/tokens.js';
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../../../src/modules/identity/domain/console-session.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

interface Signed {
  readonly cookie: string;
  readonly sessionId: string;
  readonly csrfToken: string;
  readonly setCookie: string;
}

/** The console's session API (`/v1/session`) and cookie authentication of the /v1 routes, on the real app. */
describe('console sessions: sign-in with an API key, cookie auth, CSRF, fixation, sign-out', () => {
  let t: TestApp;
  let org: Org;

  beforeAll(async () => {
    t = await startTestApp();
    org = await seedOrganization(t.app, 'Sessions');
  });
  afterAll(async () => {
    await t?.close();
  });

  async function signIn(who: TestMember, cookie?: string): Promise<Signed> {
    const req = t.api.post('/v1/session').send({ apiKey: who.apiKey });
    const res = await (cookie ? req.set('Cookie', cookie) : req);
    expect(res.status, res.text).toBe(201);
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('forgelink_session='));
    expect(setCookie).toBeDefined();
    const sessionId = /^forgelink_session=([^;]+)/.exec(setCookie ?? '')?.[1] ?? '';
    return { cookie: `forgelink_session=${sessionId}`, sessionId, csrfToken: res.body.csrfToken as string, setCookie: setCookie ?? '' };
  }

  const rows = async (): Promise<{ id_hash: string; user_id: string }[]> =>
    (await t.app.orm.em.getKnex().raw('select id_hash, user_id from console_session')).rows;

  it('signing in sets an HttpOnly SameSite=Strict cookie holding only a session id; the key is neither returned nor stored', async () => {
    const res = await t.api.post('/v1/session').send({ apiKey: org.owner.apiKey });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      userId: org.owner.userId,
      organizationId: org.organizationId,
      role: 'owner',
      csrfToken: expect.any(String),
      expiresAt: expect.any(String),
      redirectUris: { gitlab: 'http://forgelink.test/v1/callbacks/gitlab', gitea: 'http://forgelink.test/v1/callbacks/gitea' },
    });
    expect(res.headers['cache-control']).toBe('no-store');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^forgelink_session=[\w-]{43}; Path=\/; Expires=.+; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain('Secure'); // PUBLIC_URL is http here; https turns Secure on (below).
    expect(setCookie).not.toContain(org.owner.apiKey);
    expect(JSON.stringify(res.body)).not.toContain(org.owner.apiKey);
    const sessionId = /^forgelink_session=([^;]+)/.exec(setCookie)?.[1] ?? '';
    const stored = await rows();
    expect(stored.map((r) => r.id_hash)).toContain(createHash('sha256').update(sessionId).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(sessionId);
    expect(t.logs()).not.toContain(sessionId);
    expect(t.logs()).not.toContain(org.owner.apiKey);
  });

  it('the cookie authenticates the same routes as the key, with the same rights', async () => {
    for (const who of [org.owner, org.member]) {
      const s = await signIn(who);
      const me = await t.api.get('/v1/me').set('Cookie', s.cookie);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ userId: who.userId, organizationId: org.organizationId, role: who.role });
      const session = await t.api.get('/v1/session').set('Cookie', s.cookie);
      expect(session.body).toMatchObject({ userId: who.userId, role: who.role, csrfToken: s.csrfToken });
    }
  });

  it('a state-changing call with the cookie needs the CSRF token; without it (or with another session’s) nothing happens', async () => {
    const owner = await signIn(org.owner);
    const other = await signIn(org.admin);
    const name = `csrf-${Date.now()}`;
    const body = giteaBody({ name });
    expectProblem(await t.api.post('/v1/git-providers/gitea').set('Cookie', owner.cookie).send(body), 403, 'UNAUTHORIZED');
    expectProblem(
      await t.api.post('/v1/git-providers/gitea').set('Cookie', owner.cookie).set('X-CSRF-Token', 'forged').send(body),
      403,
      'UNAUTHORIZED',
    );
    expectProblem(
      await t.api.post('/v1/git-providers/gitea').set('Cookie', owner.cookie).set('X-CSRF-Token', other.csrfToken).send(body),
      403,
      'UNAUTHORIZED',
    );
    // A page of another origin (another port on the same host is same-site) is refused even with a token.
    for (const site of ['cross-site', 'same-site']) {
      expectProblem(
        await t.api
          .post('/v1/git-providers/gitea')
          .set('Cookie', owner.cookie)
          .set('X-CSRF-Token', owner.csrfToken)
          .set('Sec-Fetch-Site', site)
          .send(body),
        403,
        'UNAUTHORIZED',
      );
    }
    const list = await t.api.get('/v1/git-providers').set(org.owner.auth);
    expect(list.body.items.map((p: { name: string }) => p.name)).not.toContain(name);

    const created = await t.api
      .post('/v1/git-providers/gitea')
      .set('Cookie', owner.cookie)
      .set('X-CSRF-Token', owner.csrfToken)
      .set('Sec-Fetch-Site', 'same-origin')
      .send(body);
    expect(created.status, created.text).toBe(201);
    expect(created.body.createdBy).toBe(org.owner.userId);
    // Deleting (and every other method but GET/HEAD/OPTIONS) is checked the same way.
    expectProblem(await t.api.delete(`/v1/git-providers/${created.body.id}`).set('Cookie', owner.cookie), 403, 'UNAUTHORIZED');
    expect((await t.api.get(`/v1/git-providers/${created.body.id}`).set(org.owner.auth)).status).toBe(200);
    expect(
      (await t.api.delete(`/v1/git-providers/${created.body.id}`).set('Cookie', owner.cookie).set('X-CSRF-Token', owner.csrfToken)).status,
    ).toBe(204);
  });

  it('a member cannot do an owner’s actions with a session either: the authorisation rules are the key’s', async () => {
    const member = await signIn(org.member);
    const name = `member-${Date.now()}`;
    expectProblem(
      await t.api
        .post('/v1/git-providers/gitea')
        .set('Cookie', member.cookie)
        .set('X-CSRF-Token', member.csrfToken)
        .send(giteaBody({ name })),
      403,
      'UNAUTHORIZED',
    );
    expectProblem(
      await t.api
        .post('/v1/members')
        .set('Cookie', member.cookie)
        .set('X-CSRF-Token', member.csrfToken)
        .send({ userId: 'sneaky', role: 'owner' }),
      403,
      'UNAUTHORIZED',
    );
    const owned = await t.api
      .post('/v1/git-providers/gitea')
      .set(org.owner.auth)
      .send(giteaBody({ name: `${name}-owner` }));
    await t.api.put(`/v1/git-providers/${owned.body.id}/sharing`).set(org.owner.auth).send({ sharedWithOrganization: true });
    expectProblem(
      await t.api
        .put(`/v1/git-providers/${owned.body.id}/sharing`)
        .set('Cookie', member.cookie)
        .set('X-CSRF-Token', member.csrfToken)
        .send({ sharedWithOrganization: false }),
      403,
      'UNAUTHORIZED',
    );
    expectProblem(
      await t.api.delete(`/v1/git-providers/${owned.body.id}`).set('Cookie', member.cookie).set('X-CSRF-Token', member.csrfToken),
      403,
      'UNAUTHORIZED',
    );
    const still = await t.api.get(`/v1/git-providers/${owned.body.id}`).set(org.owner.auth);
    expect(still.body.sharedWithOrganization).toBe(true);
  });

  it('session fixation: signing in always issues a new id and discards the one the browser brought', async () => {
    // An id planted by an attacker (never issued) is not adopted.
    const planted = 'A'.repeat(43);
    const s1 = await signIn(org.owner, `forgelink_session=${planted}`);
    expect(s1.sessionId).not.toBe(planted);
    expectProblem(await t.api.get('/v1/me').set('Cookie', `forgelink_session=${planted}`), 401, 'UNAUTHENTICATED');
    // An attacker's own valid session, planted in the victim's browser, ends when the victim signs in.
    const attacker = await signIn(org.member);
    const victim = await signIn(org.owner, attacker.cookie);
    expect(victim.sessionId).not.toBe(attacker.sessionId);
    expectProblem(await t.api.get('/v1/me').set('Cookie', attacker.cookie), 401, 'UNAUTHENTICATED');
    expect((await t.api.get('/v1/me').set('Cookie', victim.cookie)).body.userId).toBe(org.owner.userId);
  });

  it('a wrong key gets 401, sets no session and clears a cookie the browser had', async () => {
    const res = await t.api.post('/v1/session').send({ apiKey: 'flk_not-a-key' });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(String(res.headers['set-cookie'])).toMatch(/^forgelink_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expectProblem(await t.api.post('/v1/session').send({}), 400, 'VALIDATION_FAILED');
    // A form post (what another site could make the browser send) is not a sign-in.
    expectProblem(await t.api.post('/v1/session').type('form').send({ apiKey: org.owner.apiKey }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await t.api.post('/v1/session').set('Sec-Fetch-Site', 'cross-site').send({ apiKey: org.owner.apiKey }),
      403,
      'UNAUTHORIZED',
    );
  });

  it('bearer keys keep working for scripts, and win over a cookie', async () => {
    const member = await signIn(org.member);
    const me = await t.api.get('/v1/me').set(org.owner.auth).set('Cookie', member.cookie);
    expect(me.body.userId).toBe(org.owner.userId);
    // No CSRF token is needed with a key (a browser never attaches one by itself).
    const created = await t.api
      .post('/v1/git-providers/gitea')
      .set(org.owner.auth)
      .send(giteaBody({ name: `bearer-${Date.now()}` }));
    expect(created.status, created.text).toBe(201);
    expectProblem(await t.api.get('/v1/me').set('Authorization', 'Bearer wrong').set('Cookie', member.cookie), 401, 'UNAUTHENTICATED');
  });

  it('Sign out ends the session on the server (a copied cookie stops working) and needs the CSRF token', async () => {
    const s = await signIn(org.admin);
    expectProblem(await t.api.delete('/v1/session').set('Cookie', s.cookie), 403, 'UNAUTHORIZED');
    expect((await t.api.get('/v1/me').set('Cookie', s.cookie)).status).toBe(200);
    const out = await t.api.delete('/v1/session').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrfToken);
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^forgelink_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expectProblem(await t.api.get('/v1/me').set('Cookie', s.cookie), 401, 'UNAUTHENTICATED');
    expectProblem(await t.api.get('/v1/session').set('Cookie', s.cookie), 401, 'UNAUTHENTICATED');
    expect((await t.api.delete('/v1/session')).status).toBe(204);
  });

  it('sessions end when idle, at their absolute limit, and when the key is rotated', async () => {
    const sessions = t.app.container.get(IDENTITY.SessionService);
    const started = new Date();
    const idle = await sessions.signIn(org.owner.apiKey, undefined, started);
    expect(idle).not.toBeNull();
    expect(await sessions.resolve(idle!.sessionId, new Date(started.getTime() + SESSION_IDLE_MS - 60_000))).not.toBeNull();
    // Used just now: the idle deadline moved forward.
    expect(await sessions.resolve(idle!.sessionId, new Date(started.getTime() + SESSION_IDLE_MS + 60_000))).not.toBeNull();
    expect(await sessions.resolve(idle!.sessionId, new Date(started.getTime() + 3 * SESSION_IDLE_MS))).toBeNull();
    // Ended sessions are deleted, not just refused.
    expect(await sessions.resolve(idle!.sessionId, started)).toBeNull();

    const busy = await sessions.signIn(org.owner.apiKey, undefined, started);
    for (let at = started.getTime(); at < started.getTime() + SESSION_MAX_MS; at += SESSION_IDLE_MS / 2) {
      expect(await sessions.resolve(busy!.sessionId, new Date(at))).not.toBeNull();
    }
    expect(await sessions.resolve(busy!.sessionId, new Date(started.getTime() + SESSION_MAX_MS + 1000))).toBeNull();

    const extra = await seedOrganization(t.app, 'Rotation');
    const s = await signIn(extra.admin);
    expect((await t.api.get('/v1/me').set('Cookie', s.cookie)).status).toBe(200);
    const rotated = await t.app.identity.rotateKey({ organizationId: extra.organizationId, userId: extra.admin.userId });
    expect(rotated.ok).toBe(true);
    expectProblem(await t.api.get('/v1/me').set('Cookie', s.cookie), 401, 'UNAUTHENTICATED');
  });

  it('over https the cookie is Secure', async () => {
    const secure = await startTestApp({ publicUrl: 'https://forgelink.example' });
    try {
      const extra = await seedOrganization(secure.app, 'Secure');
      const res = await secure.api.post('/v1/session').send({ apiKey: extra.owner.apiKey });
      expect(String(res.headers['set-cookie'])).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
    } finally {
      await secure.close();
    }
  });

  it('serves the console at / (also for a forge’s redirect back) with its own scripts only', async () => {
    for (const path of ['/', '/?provider=0190aa00-0000-7000-8000-000000000000&status=ok']) {
      const res = await t.api.get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<script type="module" src="/console/main.js">');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self' 'sha256-");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    for (const path of ['/console/main.js', '/console/vendor/preact.mjs', '/console/vendor/hooks.mjs', '/console/vendor/htm.mjs']) {
      const res = await t.api.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/javascript/);
    }
    // No URL of another host in the page: nothing is loaded from a CDN.
    const page = (await t.api.get('/')).text;
    expect(page.match(/(?:src|href)="([^"]+)"/g)?.every((attr) => attr.includes('"/'))).toBe(true);
    expect((await t.api.get('/console/vendor/other.mjs')).status).toBe(404);
    expect((await t.api.get('/console/../package.json')).status).toBe(404);
    expect((await t.api.get('/nothing-here')).status).toBe(404);
  });
});
