import { z } from 'zod';
import { FailureError } from '../../shared/failure.js';
import { pathToUnstorableText, UNSTORABLE_TEXT } from '../../shared/text.js';

/**
 * Parses one part of a request (body, query, params) or throws VALIDATION_FAILED listing every issue.
 * Strings with a NUL character or an unpaired surrogate are refused first, wherever they sit: PostgreSQL cannot
 * store them (a 500 otherwise), and no forge name, id or URL contains one. Messages name the field and the rule, never the value.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const unstorable = pathToUnstorableText(value ?? {});
  if (unstorable) {
    const path = [where, ...unstorable].join('.');
    throw new FailureError({
      code: 'VALIDATION_FAILED',
      detail: `The request ${where} is invalid: ${path} ${UNSTORABLE_TEXT}`,
      errors: [{ path, message: UNSTORABLE_TEXT }],
    });
  }
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new FailureError({
    code: 'VALIDATION_FAILED',
    detail: `The request ${where} is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    errors,
  });
}

/**
 * Why a string is not an acceptable absolute http(s) URL for forgelink to store or call, in words fit for a 400
 * (never echoing the value): unparseable (including IPv6 zone ids and out-of-range ports), another scheme,
 * credentials in it (refused, so a token typed into a URL is never stored or logged), or — for base URLs — a
 * query or fragment.
 */
export function httpUrlProblem(value: string, options: { allowQuery?: boolean } = {}): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (!url.hostname) return 'must name a host';
  if (url.username || url.password) return 'must not contain credentials (user:password@)';
  if (!options.allowQuery && (url.search || url.hash)) return 'must not contain a query or a fragment';
  return undefined;
}

/** A zod string that is an http(s) URL per httpUrlProblem (never throws on odd input: one issue, no value echoed). */
export function httpUrl(options: { allowQuery?: boolean; max?: number } = {}) {
  return z
    .string()
    .max(options.max ?? 2048)
    .superRefine((value, ctx) => {
      const problem = httpUrlProblem(value, options);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}
