import { newId } from '../../../shared/ids.js';
import { type Role } from './actor.js';

export class Organization {
  id!: string;
  name!: string;
  createdAt!: Date;

  static create(name: string, now = new Date()): Organization {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 200) throw new Error('An organisation name is 1–200 characters');
    const org = new Organization();
    org.id = newId();
    org.name = trimmed;
    org.createdAt = now;
    return org;
  }
}

/** A member of one organisation; their API key is stored only as a hash. */
export class Member {
  organizationId!: string;
  userId!: string;
  role!: Role;
  apiKeyHash!: string;
  createdAt!: Date;
  keyRotatedAt!: Date;

  static join(organizationId: string, userId: string, role: Role, apiKeyHash: string, now = new Date()): Member {
    const member = new Member();
    member.organizationId = organizationId;
    member.userId = userId;
    member.role = role;
    member.apiKeyHash = apiKeyHash;
    member.createdAt = now;
    member.keyRotatedAt = now;
    return member;
  }

  /** The old key stops working as soon as this commits. */
  rotateKey(apiKeyHash: string, now = new Date()): void {
    this.apiKeyHash = apiKeyHash;
    this.keyRotatedAt = now;
  }
}
