import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Actor } from '../domain/actor.js';
import { ConsoleSession } from '../domain/console-session.js';
import { type ApiKeys } from './identity-service.js';
import { type IdentityRepository } from './identity-repository.js';

export interface SessionRepository {
  find(idHash: string): Promise<ConsoleSession | null>;
  save(session: ConsoleSession): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Removes the member's sessions that ended before `now` (kept bounded without a background job). */
  deleteEndedOf(organizationId: string, userId: string, now: Date): Promise<void>;
}

export interface SessionIds {
  generate(): string;
  hash(sessionId: string): string;
  csrfToken(sessionId: string): string;
}

export interface SignedIn {
  readonly sessionId: string;
  readonly csrfToken: string;
  readonly actor: Actor;
  readonly endsAt: Date;
}

export interface ResolvedSession {
  readonly actor: Actor;
  readonly csrfToken: string;
  readonly endsAt: Date;
}

/**
 * The console's sign-in: an API key is exchanged for a server-side session. A new id is issued at every
 * sign-in and the previous one (if the browser sent one) is deleted, so a planted id never becomes a session.
 */
export class SessionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly members: IdentityRepository,
    private readonly sessions: SessionRepository,
    private readonly keys: ApiKeys,
    private readonly ids: SessionIds,
  ) {}

  signIn(apiKey: string, previousSessionId?: string, now = new Date()): Promise<SignedIn | null> {
    return this.uow.run(async () => {
      if (previousSessionId) await this.sessions.delete(this.ids.hash(previousSessionId));
      const member = await this.members.findMemberByKeyHash(this.keys.hash(apiKey));
      if (!member) return null;
      await this.sessions.deleteEndedOf(member.organizationId, member.userId, now);
      const sessionId = this.ids.generate();
      const session = ConsoleSession.start(this.ids.hash(sessionId), member, now);
      await this.sessions.save(session);
      return {
        sessionId,
        csrfToken: this.ids.csrfToken(sessionId),
        actor: { userId: member.userId, organizationId: member.organizationId, role: member.role },
        endsAt: session.endsAt(),
      };
    });
  }

  /** The session's member as they are now (role changes apply at once); null when unknown, ended or the key was rotated. */
  resolve(sessionId: string, now = new Date()): Promise<ResolvedSession | null> {
    return this.uow.run(async () => {
      const session = await this.sessions.find(this.ids.hash(sessionId));
      if (!session) return null;
      const member = await this.members.findMember(session.organizationId, session.userId);
      if (!session.isActiveFor(member, now)) {
        await this.sessions.delete(session.idHash);
        return null;
      }
      if (session.touch(now)) await this.sessions.save(session);
      return {
        actor: { userId: member.userId, organizationId: member.organizationId, role: member.role },
        csrfToken: this.ids.csrfToken(sessionId),
        endsAt: session.endsAt(),
      };
    });
  }

  signOut(sessionId: string): Promise<void> {
    return this.uow.run(() => this.sessions.delete(this.ids.hash(sessionId)));
  }
}
