export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved from the API key at the edge, passed to every use case. */
export interface Actor {
  readonly userId: string;
  readonly organizationId: string;
  readonly role: Role;
}

export const isOwnerOrAdmin = (actor: Actor): boolean => actor.role === 'owner' || actor.role === 'admin';
