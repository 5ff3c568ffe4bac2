import { createHash } from 'node:crypto';
import { ForgeError } from '../../modules/git-providers/application/ports/forge.js';

/**
 * A status name within a forge's length limit, the same for the same input on every call (a forge keys statuses by
 * it: a name that changed between two posts would leave the first status pending for ever). Too long: the head of
 * the name, `~`, and 8 hex characters of its SHA-256 — two services whose names share the head still differ.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - 9)}~${hash}`;
}

/** Free text within a forge's limit: cut, with an ellipsis, when longer. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A refusal of a commit status is a refusal of that permission on that repository, never of the credentials as a
 * whole: a token or App without "commit statuses: write" still lists repositories and registers hooks, so the
 * provider must not be flagged (the connector flags providers on provider-wide `forbidden`). The forge's words stay.
 */
export function statusRefusal(error: unknown, repository: string): unknown {
  if (!(error instanceof ForgeError)) return error;
  const resource = `commit statuses of ${repository}`;
  if (error.kind === 'forbidden')
    return new ForgeError(
      { type: error.forge, label: error.label },
      'resource_forbidden',
      error.message,
      error.status,
      undefined,
      resource,
    );
  // A refusal already read as one of the repository (GitHub's 403 on …/statuses/{sha}) is one of its statuses: saying
  // "refused access to repository X" would send the reader to the wrong permission.
  if (error.kind === 'resource_forbidden' && error.resource !== undefined && error.resource !== resource)
    return new ForgeError(
      { type: error.forge, label: error.label },
      'resource_forbidden',
      error.message.replace(error.resource, resource),
      error.status,
      undefined,
      resource,
    );
  return error;
}
