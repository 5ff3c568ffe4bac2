import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type NormalizedPush, type ParsedWebhook } from '../../../src/modules/webhooks/domain/push.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const webhooksDir = path.resolve(here, '../../fixtures/webhooks');

/** The fixture's bytes exactly as stored (signatures are computed over these). */
export function fixtureBytes(forge: string, file: string): Buffer {
  return readFileSync(path.join(webhooksDir, forge, file));
}

export function fixtureJson(forge: string, file: string): Record<string, unknown> {
  return JSON.parse(fixtureBytes(forge, file).toString('utf8')) as Record<string, unknown>;
}

/** A deep copy to tweak without touching other tests' data. */
export const clone = <T>(value: T): T => structuredClone(value);

interface OctokitDefinition {
  name: string;
  examples: Record<string, unknown>[];
}
const require = createRequire(import.meta.url);
let octokit: OctokitDefinition[] | undefined;

/** Real GitHub payloads from @octokit/webhooks-examples for one event. */
export function octokitExamples(event: string): Record<string, unknown>[] {
  octokit ??= require('@octokit/webhooks-examples') as OctokitDefinition[];
  return octokit.find((definition) => definition.name === event)?.examples ?? [];
}

export const ZERO = '0'.repeat(40);

/** Asserts a parse produced exactly one push and returns it. */
export function onlyPush(parsed: ParsedWebhook): NormalizedPush {
  expect(parsed.kind).toBe('push');
  if (parsed.kind !== 'push') throw new Error('not a push');
  expect(parsed.pushes).toHaveLength(1);
  return parsed.pushes[0]!;
}
