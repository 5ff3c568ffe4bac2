import { randomBytes } from 'node:crypto';
import { type Actor, type Role } from '../../src/modules/identity/domain/actor.js';
import { newId } from '../../src/shared/ids.js';

export const anOrganizationId = (): string => newId();
export const aUserId = (prefix = 'user'): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** An actor with a fresh user id; pass organizationId to place several actors in one organisation. */
export const anActor = (role: Role = 'owner', organizationId: string = anOrganizationId(), userId: string = aUserId(role)): Actor => ({
  userId,
  organizationId,
  role,
});

/** Owner, two admins, two members of one organisation, and an owner of another organisation. */
export function anOrganization(organizationId: string = anOrganizationId()): {
  organizationId: string;
  owner: Actor;
  admin: Actor;
  otherAdmin: Actor;
  member: Actor;
  otherMember: Actor;
  outsider: Actor;
} {
  return {
    organizationId,
    owner: anActor('owner', organizationId),
    admin: anActor('admin', organizationId),
    otherAdmin: anActor('admin', organizationId),
    member: anActor('member', organizationId),
    otherMember: anActor('member', organizationId),
    outsider: anActor('owner', anOrganizationId()),
  };
}

/** The same person with another role (a member promoted, an admin demoted). */
export const withRole = (actor: Actor, role: Role): Actor => ({ ...actor, role });
