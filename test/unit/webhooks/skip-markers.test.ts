import { describe, it, expect } from 'vitest';
import { skipReason } from '../../../src/modules/webhooks/domain/skip-markers.js';

describe('skip markers', () => {
  it.each([
    ['Fix typo [skip ci]', '[skip ci]'],
    ['[ci skip] bump version', '[ci skip]'],
    ['docs only\n\n[skip deploy]', '[skip deploy]'],
    ['WIP [no ci]', '[no ci]'],
    ['Release [SKIP CI]', '[skip ci]'],
    ['Release [Skip  Deploy]', '[skip deploy]'],
    ['chore: [ ci skip ]', '[ci skip]'],
  ])('%j skips with %s', (message, marker) => {
    expect(skipReason(message)).toBe(marker);
  });

  it.each([
    'Deploy the new landing page',
    'skip ci without brackets',
    '[skip-ci] hyphenated is not a marker',
    '[skip] alone',
    '',
    // Decision: the GitHub trailer only suppresses check runs; it does not stop a deploy.
    'Tidy workflow\n\nskip-checks: true',
  ])('%j does not skip', (message) => {
    expect(skipReason(message)).toBeUndefined();
  });
});
