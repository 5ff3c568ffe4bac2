/** A commit status the deployer reported, to be posted to the forge by the worker (ADR 0018). */
export interface CommitStatusReport {
  readonly organizationId: string;
  readonly providerId: string;
  readonly serviceType: string;
  readonly serviceId: string;
  /** The source's repository as stored (full name + the forge's id when known). */
  readonly repository: string;
  readonly repositoryId: string | null;
  readonly commitSha: string;
  readonly state: 'running' | 'done' | 'error';
  readonly targetUrl: string | null;
  readonly description: string | null;
}

/**
 * The commit-status outbox. `record` joins the caller's unit of work: the row commits with the source's status change
 * or not at all; the worker posts it later, so the report never waits for the forge.
 */
export interface CommitStatusOutbox {
  record(report: CommitStatusReport): Promise<void>;
}
