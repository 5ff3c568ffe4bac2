import { type Failure, failure } from '../../../shared/failure.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Actor, isOwnerOrAdmin, type Role } from '../domain/actor.js';
import { Member, Organization } from '../domain/organization.js';
import { type IdentityRepository } from './identity-repository.js';

export interface ApiKeys {
  generate(): string;
  hash(apiKey: string): string;
}

/** Organisations, members and API keys: the CLI's and /v1/members' use cases. */
export class IdentityService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly repository: IdentityRepository,
    private readonly keys: ApiKeys,
  ) {}

  createOrganization(name: string): Promise<{ id: string }> {
    return this.uow.run(async () => {
      const org = Organization.create(name);
      await this.repository.saveOrganization(org);
      return { id: org.id };
    });
  }

  /** CLI: trusted operator. HTTP: pass the actor, who must be owner/admin of that organisation. */
  addMember(input: {
    organizationId: string;
    userId: string;
    role: Role;
    actor?: Actor;
  }): Promise<Result<{ userId: string; role: Role; apiKey: string }, Failure>> {
    return this.uow.run(async () => {
      if (input.actor && !isOwnerOrAdmin(input.actor)) return err(failure.unauthorized('Only owners and admins can add members'));
      if (input.actor?.role === 'admin' && input.role === 'owner') return err(failure.unauthorized('Only owners can add owners'));
      const org = await this.repository.findOrganization(input.organizationId);
      if (!org) return err(failure.notFound('Organisation'));
      if (await this.repository.findMember(org.id, input.userId)) return err(failure.conflict(`User ${input.userId} is already a member`));
      const apiKey = this.keys.generate();
      await this.repository.saveMember(Member.join(org.id, input.userId, input.role, this.keys.hash(apiKey)));
      return ok({ userId: input.userId, role: input.role, apiKey });
    });
  }

  rotateKey(input: { organizationId: string; userId: string }): Promise<Result<{ apiKey: string }, Failure>> {
    return this.uow.run(async () => {
      const member = await this.repository.findMember(input.organizationId, input.userId);
      if (!member) return err(failure.notFound('Member'));
      const apiKey = this.keys.generate();
      member.rotateKey(this.keys.hash(apiKey));
      await this.repository.saveMember(member);
      return ok({ apiKey });
    });
  }

  /** The member as an actor with their current role; null when they are not (or no longer) a member. */
  actorOf(organizationId: string, userId: string): Promise<Actor | null> {
    return this.uow.read(async () => {
      const member = await this.repository.findMember(organizationId, userId);
      return member ? { userId: member.userId, organizationId: member.organizationId, role: member.role } : null;
    });
  }

  authenticate(apiKey: string): Promise<Actor | null> {
    return this.uow.read(async () => {
      const member = await this.repository.findMemberByKeyHash(this.keys.hash(apiKey));
      return member ? { userId: member.userId, organizationId: member.organizationId, role: member.role } : null;
    });
  }
}
