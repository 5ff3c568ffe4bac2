import { ConsoleSession, SESSION_IDLE_MS } from '../../domain/console-session.js';
import { type SessionRepository } from '../../application/session-service.js';
import { type MikroOrmUnitOfWork } from '../../../../platform/database/unit-of-work.js';

export class MikroOrmSessionRepository implements SessionRepository {
  constructor(private readonly uow: MikroOrmUnitOfWork) {}

  find(idHash: string): Promise<ConsoleSession | null> {
    return this.uow.em.findOne(ConsoleSession, { idHash });
  }

  async save(session: ConsoleSession): Promise<void> {
    this.uow.em.persist(session);
  }

  async delete(idHash: string): Promise<void> {
    await this.uow.em.nativeDelete(ConsoleSession, { idHash });
  }

  async deleteEndedOf(organizationId: string, userId: string, now: Date): Promise<void> {
    await this.uow.em.nativeDelete(ConsoleSession, {
      organizationId,
      userId,
      $or: [{ expiresAt: { $lte: now } }, { lastSeenAt: { $lte: new Date(now.getTime() - SESSION_IDLE_MS) } }],
    });
  }
}
