import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../support/app.js';

describe('smoke: the real app on real PostgreSQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers /healthz, /readyz and /v1/me', async () => {
    const org = await seedOrganization(t.app);
    expect((await t.api.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await t.api.get('/readyz')).status).toBe(200);
    const me = await t.api.get('/v1/me').set(org.owner.auth);
    expect(me.body).toEqual({ userId: org.owner.userId, organizationId: org.organizationId, role: 'owner' });
  });
});
