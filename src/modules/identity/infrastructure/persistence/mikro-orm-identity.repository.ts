import { Member, Organization } from '../../domain/organization.js';
import { type IdentityRepository } from '../../application/identity-repository.js';
import { type MikroOrmUnitOfWork } from '../../../../platform/database/unit-of-work.js';

export class MikroOrmIdentityRepository implements IdentityRepository {
  constructor(private readonly uow: MikroOrmUnitOfWork) {}

  findOrganization(id: string): Promise<Organization | null> {
    return this.uow.em.findOne(Organization, { id });
  }

  findMember(organizationId: string, userId: string): Promise<Member | null> {
    return this.uow.em.findOne(Member, { organizationId, userId });
  }

  findMemberByKeyHash(apiKeyHash: string): Promise<Member | null> {
    return this.uow.em.findOne(Member, { apiKeyHash });
  }

  async saveOrganization(organization: Organization): Promise<void> {
    this.uow.em.persist(organization);
  }

  async saveMember(member: Member): Promise<void> {
    this.uow.em.persist(member);
  }
}
