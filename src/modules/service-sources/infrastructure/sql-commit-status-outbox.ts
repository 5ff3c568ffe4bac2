import { v7 as uuidv7 } from 'uuid';
import { type MikroOrmUnitOfWork } from '../../../platform/database/unit-of-work.js';
import { type CommitStatusOutbox, type CommitStatusReport } from '../application/ports/commit-statuses.js';

/** Writes the commit_status row inside the report's transaction (the unit of work's entity manager). */
export class SqlCommitStatusOutbox implements CommitStatusOutbox {
  private recorded = false;

  constructor(private readonly uow: MikroOrmUnitOfWork) {}

  /**
   * Whether a row was recorded since the last call: the composition root kicks the worker after a commit only then, so
   * other commits (webhook deliveries) cost the worker nothing. A row whose kick went to an earlier commit waits for the poll.
   */
  takeRecorded(): boolean {
    const was = this.recorded;
    this.recorded = false;
    return was;
  }

  async record(r: CommitStatusReport): Promise<void> {
    await this.uow.em.execute(
      `insert into commit_status (id, organization_id, provider_id, service_type, service_id, repository, repository_id, commit_sha,
                                  state, target_url, description)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        uuidv7(),
        r.organizationId,
        r.providerId,
        r.serviceType,
        r.serviceId,
        r.repository,
        r.repositoryId,
        r.commitSha,
        r.state,
        r.targetUrl,
        r.description,
      ],
    );
    this.recorded = true;
  }
}
