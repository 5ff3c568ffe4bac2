import { type Member } from './organization.js';

/** Idle limit: a session unused this long has ended. */
export const SESSION_IDLE_MS = 8 * 60 * 60_000;
/** Absolute limit from sign-in, however busy the session is. */
export const SESSION_MAX_MS = 24 * 60 * 60_000;
/** How often a busy session's idle deadline is pushed forward (one write per interval, not per request). */
export const SESSION_TOUCH_MS = 5 * 60_000;

/**
 * A browser session of the console, started by signing in with an API key. Only the hash of its id is
 * stored; it stays bound to the key it was started with, so rotating the key ends it.
 */
export class ConsoleSession {
  idHash!: string;
  organizationId!: string;
  userId!: string;
  apiKeyHash!: string;
  createdAt!: Date;
  lastSeenAt!: Date;
  expiresAt!: Date;

  static start(idHash: string, member: Member, now = new Date()): ConsoleSession {
    const session = new ConsoleSession();
    session.idHash = idHash;
    session.organizationId = member.organizationId;
    session.userId = member.userId;
    session.apiKeyHash = member.apiKeyHash;
    session.createdAt = now;
    session.lastSeenAt = now;
    session.expiresAt = new Date(now.getTime() + SESSION_MAX_MS);
    return session;
  }

  /** The moment the session ends unless it is used again: the idle limit, capped by the absolute one. */
  endsAt(): Date {
    return new Date(Math.min(this.lastSeenAt.getTime() + SESSION_IDLE_MS, this.expiresAt.getTime()));
  }

  isActiveFor(member: Member | null, now = new Date()): member is Member {
    return member !== null && member.apiKeyHash === this.apiKeyHash && now < this.endsAt();
  }

  /** Pushes the idle deadline; answers whether anything changed (worth a write). */
  touch(now = new Date()): boolean {
    if (now.getTime() - this.lastSeenAt.getTime() < SESSION_TOUCH_MS) return false;
    this.lastSeenAt = now;
    return true;
  }
}
