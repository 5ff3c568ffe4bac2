import { describe, expect, it } from 'vitest';
import { FailureError } from '../../../src/shared/failure.js';
import { encodePath, invalidPathSegment, invalidRepositoryPath, pathSegments } from '../../../src/shared/path-segments.js';

describe('path segments built from input (finding 8: traversal through `repository`)', () => {
  const hostile = ['..', '.', '', '%2e%2e', 'a%2Fb', 'a\\b', 'a?b', 'a#b', 'a\u0000b', 'a\nb', 'a\u007fb'];
  it.each(hostile)('refuses the segment %j', (segment) => {
    expect(invalidPathSegment(segment)).toBeTypeOf('string');
  });

  it.each(['acme', 'my.repo', 'repo-1', 'under_score', '.github', 'a..b', 'Ünïcode'])('accepts the segment %j', (segment) => {
    expect(invalidPathSegment(segment)).toBeUndefined();
  });

  it.each([
    '../orgs',
    '../..',
    'acme/..',
    './api',
    'acme/.',
    'acme//api',
    '/acme/api',
    'acme/api/',
    'acme',
    'acme/%2e%2e',
    'acme/api%2F..%2F..',
  ])('refuses the repository %j with VALIDATION_FAILED', (name) => {
    expect(invalidRepositoryPath(name)).toBeTypeOf('string');
    expect(() => pathSegments(name, 'repository', { minSegments: 2 })).toThrow(FailureError);
    try {
      pathSegments(name, 'repository', { minSegments: 2 });
    } catch (error) {
      expect((error as FailureError).failure).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'repository' }] });
    }
  });

  it('keeps GitLab subgroups and encodes every segment so none adds a separator', () => {
    expect(pathSegments('group/sub/repo', 'repository')).toEqual(['group', 'sub', 'repo']);
    expect(encodePath(['a b', 'c+d', 'ü'])).toBe('a%20b/c%2Bd/%C3%BC');
    expect(invalidRepositoryPath(Array.from({ length: 21 }, () => 'x').join('/'))).toMatch(/more than 20/);
  });
});
