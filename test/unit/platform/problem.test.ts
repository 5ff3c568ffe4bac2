import { describe, it, expect } from 'vitest';
import express from 'express';
import request from 'supertest';
import { sendProblem, statusOf } from '../../../src/platform/http/problem.js';
import { type Failure, type FailureCode } from '../../../src/shared/failure.js';

// Typed as a Record so a new failure code that is missing here fails the typecheck.
const EXPECTED: Record<FailureCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_STATE: 400,
  UNAUTHENTICATED: 401,
  INVALID_SIGNATURE: 401,
  UNAUTHORIZED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  PROVIDER_NOT_READY: 422,
  FORGE_FORBIDDEN: 422,
  FORGE_RATE_LIMITED: 429,
  FORGE_ERROR: 502,
  UNAVAILABLE: 503,
};

describe('statusOf', () => {
  it.each(Object.entries(EXPECTED) as [FailureCode, number][])('%s → %i', (code, status) => {
    expect(statusOf(code)).toBe(status);
  });
});

describe('sendProblem', () => {
  const app = express();
  app.get('/:code', (req, res) => {
    const code = req.params.code as FailureCode;
    const failure = (
      code === 'FORGE_RATE_LIMITED'
        ? { code, detail: 'GitHub rate-limited listing repositories', retryAfterSeconds: 30 }
        : code === 'VALIDATION_FAILED'
          ? { code, detail: 'bad body', errors: [{ path: 'body.name', message: 'required' }] }
          : { code, detail: `detail of ${code}` }
    ) as Failure;
    sendProblem(res, failure, req.originalUrl);
  });

  it.each(Object.keys(EXPECTED) as FailureCode[])('answers %s as RFC 9457 problem details with the code', async (code) => {
    const res = await request(app).get(`/${code}`);
    expect(res.status).toBe(EXPECTED[code]);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: EXPECTED[code],
      code,
      instance: `/${code}`,
      type: expect.stringMatching(/^https:\/\/forgelink\.dev\/problems\/[a-z-]+$/),
    });
    expect(typeof body.title).toBe('string');
    if (code === 'FORGE_RATE_LIMITED') expect(res.headers['retry-after']).toBe('30');
    else expect(res.headers['retry-after']).toBeUndefined();
    if (code === 'VALIDATION_FAILED') expect(body.errors).toEqual([{ path: 'body.name', message: 'required' }]);
  });
});
