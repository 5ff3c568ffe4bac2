import { pathSegments } from '../../shared/path-segments.js';

/** The instance URL without trailing slashes; keeps a relative URL root such as https://example.com/gitlab. */
export function gitlabBaseUrl(gitlabUrl: string): string {
  return gitlabUrl.trim().replace(/\/+$/, '');
}

/** `:id` of the projects API: the URL-encoded full path, so subgroups keep every segment (group%2Fsub%2Frepo). */
export function projectId(fullName: string): string {
  return encodeURIComponent(pathSegments(fullName.replace(/^\/+|\/+$/g, ''), 'repository').join('/'));
}
