import { type Member, type Organization } from '../domain/organization.js';

export interface IdentityRepository {
  findOrganization(id: string): Promise<Organization | null>;
  findMember(organizationId: string, userId: string): Promise<Member | null>;
  findMemberByKeyHash(apiKeyHash: string): Promise<Member | null>;
  saveOrganization(organization: Organization): Promise<void>;
  saveMember(member: Member): Promise<void>;
}
