import { type z } from 'zod';
import { FailureError } from '../../shared/failure.js';

/** Parses one part of a request (body, query, params) or throws VALIDATION_FAILED listing every issue. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new FailureError({ code: 'VALIDATION_FAILED', detail: `The request ${where} is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors });
}
