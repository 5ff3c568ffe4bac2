import { Member, Organization } from '../../domain/organization.js';
import { type Role } from '../../domain/actor.js';
import { type IdentityRepository } from '../../application/identity-repository.js';
import { type PgUnitOfWork } from '../../../../platform/database/pg-unit-of-work.js';

interface MemberRow {
  organization_id: string;
  user_id: string;
  role: Role;
  api_key_hash: string;
  created_at: Date;
  key_rotated_at: Date;
}

const MEMBER_COLUMNS = 'organization_id, user_id, role, api_key_hash, created_at, key_rotated_at';

/**
 * The identity tables in plain SQL over PgUnitOfWork, for the CLI's short commands (which start without MikroORM);
 * the same rows as the MikroORM mapping in identity.schemas.ts. A member read here is updated on save, a new one
 * inserted, so two operators adding the same member at once get a CONFLICT, not a silent overwrite.
 */
export class PgIdentityRepository implements IdentityRepository {
  private readonly loaded = new WeakSet<Member>();

  constructor(private readonly uow: PgUnitOfWork) {}

  async findOrganization(id: string): Promise<Organization | null> {
    const { rows } = await this.uow.sql.query<{ id: string; name: string; created_at: Date }>(
      'select id, name, created_at from organization where id = $1',
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    return Object.assign(new Organization(), { id: row.id, name: row.name, createdAt: row.created_at });
  }

  findMember(organizationId: string, userId: string): Promise<Member | null> {
    return this.member(`select ${MEMBER_COLUMNS} from member where organization_id = $1 and user_id = $2`, [organizationId, userId]);
  }

  findMemberByKeyHash(apiKeyHash: string): Promise<Member | null> {
    return this.member(`select ${MEMBER_COLUMNS} from member where api_key_hash = $1`, [apiKeyHash]);
  }

  async saveOrganization(organization: Organization): Promise<void> {
    await this.uow.sql.query('insert into organization (id, name, created_at) values ($1, $2, $3)', [
      organization.id,
      organization.name,
      organization.createdAt,
    ]);
  }

  async saveMember(member: Member): Promise<void> {
    const values = [member.organizationId, member.userId, member.role, member.apiKeyHash, member.createdAt, member.keyRotatedAt];
    if (this.loaded.has(member)) {
      await this.uow.sql.query(
        'update member set role = $3, api_key_hash = $4, created_at = $5, key_rotated_at = $6 where organization_id = $1 and user_id = $2',
        values,
      );
    } else {
      await this.uow.sql.query(`insert into member (${MEMBER_COLUMNS}) values ($1, $2, $3, $4, $5, $6)`, values);
      this.loaded.add(member);
    }
  }

  private async member(text: string, values: unknown[]): Promise<Member | null> {
    const { rows } = await this.uow.sql.query<MemberRow>(text, values);
    const row = rows[0];
    if (!row) return null;
    const member = Object.assign(new Member(), {
      organizationId: row.organization_id,
      userId: row.user_id,
      role: row.role,
      apiKeyHash: row.api_key_hash,
      createdAt: row.created_at,
      keyRotatedAt: row.key_rotated_at,
    });
    this.loaded.add(member);
    return member;
  }
}
