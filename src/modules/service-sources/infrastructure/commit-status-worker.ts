import { type Knex } from '@mikro-orm/postgresql';
import { newId } from '../../../shared/ids.js';
import { type Metrics, NO_METRICS } from '../../../shared/metrics.js';
import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type CommitStatusAnswer, type CommitStatusState, ForgeError } from '../../git-providers/application/ports/forge.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { ClaimPool } from '../../../platform/background/claim-pool.js';

export interface CommitStatusWorkerOptions {
  /** How often an idle instance looks for due rows. */
  readonly pollIntervalMs?: number;
  /** Rows one instance posts at once (each of a different commit + service). */
  readonly concurrency?: number;
  /** How long a claim lasts; a row whose instance died is posted again after this (statuses are idempotent on forges). */
  readonly leaseMs?: number;
  /** Backoff after a failed attempt: base × 2^attempts, capped at retryMaxMs (a forge's Retry-After when longer). */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Attempts before a row is given up (`failed`). */
  readonly maxAttempts?: number;
}

interface Claimed {
  id: string;
  organization_id: string;
  provider_id: string;
  service_type: string;
  service_id: string;
  repository: string;
  repository_id: string | null;
  commit_sha: string;
  state: CommitStatusState;
  target_url: string | null;
  description: string | null;
  attempts: number;
  claim_token: string;
}

type Outcome =
  | { kind: 'posted'; answer: CommitStatusAnswer }
  | { kind: 'retry'; error: string; delayMs?: number }
  | { kind: 'forbidden' | 'failed'; error: string };

/** The same commit of the same repository, reported for the same service (one status name on the forge). */
const SAME_KEY = `o.organization_id = c.organization_id and o.service_type = c.service_type and o.service_id = c.service_id
   and o.provider_id = c.provider_id and o.commit_sha = c.commit_sha and lower(o.repository) = lower(c.repository)`;

/** Serialises claims across instances (a claim is one short statement), so one key never has two posts in flight. */
const CLAIM_LOCK = 0x636f6d6d; // "comm"

const DEFAULT_DESCRIPTION: Record<CommitStatusState, string> = {
  running: 'Deployment in progress',
  done: 'Deployed',
  error: 'Deployment failed',
};

/**
 * Posts the commit statuses deployers report (commit_status rows, ADR 0018) to their forges. Every instance runs one.
 * A row is claimed with FOR UPDATE SKIP LOCKED and a lease, so two instances never post it at once; only the newest row
 * of a (provider, repository, commit, service) is posted and older unposted rows are `superseded`, so a late "running"
 * never overwrites "success". No transaction stays open during a forge request.
 */
export class CommitStatusWorker {
  private readonly pool: ClaimPool<Claimed>;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  readonly maxAttempts: number;

  constructor(
    private readonly knex: Knex,
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly urls: PublicUrls,
    private readonly logger: Logger,
    options: CommitStatusWorkerOptions = {},
    private readonly metrics: Pick<Metrics, 'commitStatus'> = NO_METRICS,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.retryBaseMs = options.retryBaseMs ?? 5_000;
    this.retryMaxMs = options.retryMaxMs ?? 15 * 60_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.pool = new ClaimPool<Claimed>(
      {
        claim: async (free) => {
          await this.supersede();
          return this.claim(free);
        },
        work: (item) => this.post(item),
        onClaimError: (error) => this.logger.error({ err: error }, 'claiming commit statuses failed'),
        onWorkError: (error, item) => this.logger.error({ err: error, commitStatusId: item.id }, 'posting a commit status failed'),
      },
      this.concurrency,
      this.pollIntervalMs,
    );
  }

  start(): void {
    this.pool.start();
  }

  async stop(): Promise<void> {
    await this.pool.stop();
  }

  /** Called after a report committed a row: post it now rather than at the next poll. */
  kick(): void {
    this.pool.kick();
  }

  /** One round (tests drive it directly): supersedes, claims and posts what is due; resolves when those posts are done. */
  async runOnce(): Promise<number> {
    await this.supersede();
    const claimed = await this.claim(this.concurrency);
    await Promise.all(claimed.map((row) => this.post(row)));
    return claimed.length;
  }

  /** Unposted rows with a newer report for the same key will never be posted: the newer one says what is true now. */
  private async supersede(): Promise<void> {
    const { rows } = (await this.knex.raw(
      `update commit_status c set outcome = 'superseded', claim_token = null, claimed_until = null
        where c.outcome = 'pending' and (c.claimed_until is null or c.claimed_until < now())
          and exists (select 1 from commit_status o where ${SAME_KEY} and o.sequence > c.sequence)
        returning (select type from git_provider p where p.id = c.provider_id) as forge`,
    )) as { rows: { forge: string | null }[] };
    for (const row of rows) this.metrics.commitStatus(row.forge ?? 'unknown', 'superseded');
  }

  /**
   * Claims due rows that are the newest of their key and whose key has no post in flight, with SKIP LOCKED and a lease.
   * The advisory lock makes each claim see the previous one committed, so two instances never claim two rows of one key.
   */
  private async claim(limit: number): Promise<Claimed[]> {
    const token = newId();
    const held = this.pool.held;
    return this.knex.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [CLAIM_LOCK]);
      const { rows } = (await trx.raw(
        `with due as (
           select c.id from commit_status c
            where c.outcome = 'pending' and c.next_attempt_at <= now()
              and (c.claimed_until is null or c.claimed_until < now())
              and not (c.id = any(?::uuid[]))
              and not exists (
                select 1 from commit_status o
                 where ${SAME_KEY} and o.id <> c.id
                   and (o.sequence > c.sequence or (o.outcome = 'pending' and o.claimed_until >= now())))
            order by c.sequence
            limit ?
            for update of c skip locked)
         update commit_status c set claim_token = ?, claimed_until = now() + (? * interval '1 millisecond')
           from due where c.id = due.id
         returning c.id, c.organization_id, c.provider_id, c.service_type, c.service_id, c.repository, c.repository_id,
                   c.commit_sha, c.state, c.target_url, c.description, c.attempts, c.claim_token`,
        [held, limit, token, this.leaseMs],
      )) as { rows: Claimed[] };
      return rows;
    });
  }

  private async post(row: Claimed): Promise<void> {
    let forge = 'unknown';
    let outcome: Outcome;
    try {
      const provider = await this.uow.read(() => this.providers.findById(row.provider_id));
      if (!provider) {
        outcome = { kind: 'failed', error: 'The provider was removed' };
      } else if (provider.status !== 'ready') {
        // No usable credentials (an address change dropped them, or authorisation is pending): the forge is not asked,
        // and the row waits with backoff for the provider to be completed (then `failed` after the last attempt).
        forge = provider.type;
        outcome = {
          kind: 'retry',
          error: `The git provider is not ready (${provider.status.replace(/_/g, ' ')}): give it its credentials again`,
        };
      } else {
        forge = provider.type;
        const api = this.connector.api(provider);
        if (!api.setCommitStatus) {
          outcome = { kind: 'failed', error: `${this.connector.label(provider.type)} offers no commit statuses` };
        } else {
          const answer = await api.setCommitStatus(
            { fullName: row.repository, ...(row.repository_id ? { id: row.repository_id } : {}) },
            row.commit_sha,
            {
              state: row.state,
              name: `forgelink/${row.service_type}/${row.service_id}`,
              ...(row.target_url ? { targetUrl: row.target_url } : {}),
              fallbackUrl: this.urls.dashboardUrl,
              description: row.description ?? DEFAULT_DESCRIPTION[row.state],
            },
          );
          outcome = { kind: 'posted', answer };
        }
      }
    } catch (error) {
      outcome = classify(error);
    }
    await this.settle(row, forge, outcome);
  }

  private async settle(row: Claimed, forge: string, outcome: Outcome): Promise<void> {
    const where = 'where id = ? and claim_token = ?';
    if (outcome.kind === 'posted') {
      await this.knex.raw(
        `update commit_status set outcome = 'posted', posted_at = now(), attempts = attempts + 1, last_error = null,
                claim_token = null, claimed_until = null ${where}`,
        [row.id, row.claim_token],
      );
      this.metrics.commitStatus(forge, 'posted');
      // `status`, not `state`: the log redacts `state` fields (OAuth states are secrets).
      this.logger.debug({ commitStatusId: row.id, forge, status: row.state, answer: outcome.answer }, 'commit status posted');
      return;
    }
    const attempts = row.attempts + 1;
    const giveUp = outcome.kind === 'retry' && attempts >= this.maxAttempts;
    const final = outcome.kind === 'retry' ? (giveUp ? 'failed' : 'pending') : outcome.kind;
    const error = giveUp ? `${outcome.error} (gave up after ${attempts} attempts)` : outcome.error;
    const backoff = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** row.attempts);
    const delay = outcome.kind === 'retry' ? Math.max(backoff, outcome.delayMs ?? 0) : 0;
    await this.knex.raw(
      `update commit_status set outcome = ?, attempts = ?, last_error = ?, next_attempt_at = now() + (? * interval '1 millisecond'),
              claim_token = null, claimed_until = null ${where}`,
      [final, attempts, error.slice(0, 500), delay, row.id, row.claim_token],
    );
    this.metrics.commitStatus(forge, final === 'pending' ? 'retry' : final);
    const log = { commitStatusId: row.id, providerId: row.provider_id, forge, status: row.state, attempts, outcome: final, error };
    if (final === 'pending') this.logger.warn({ ...log, retryInMs: delay }, 'commit status not posted; will retry');
    else this.logger.warn(log, 'commit status not posted');
  }
}

/** What a failure means for the row: a refusal is `forbidden`, an unknown commit/repository `failed`, the rest retried. */
function classify(error: unknown): Outcome {
  if (!(error instanceof ForgeError)) {
    return { kind: 'retry', error: error instanceof Error ? `forgelink could not post: ${error.name}` : 'forgelink could not post' };
  }
  switch (error.kind) {
    case 'forbidden':
    case 'resource_forbidden':
      return { kind: 'forbidden', error: error.message };
    case 'not_found':
    case 'blocked_url':
      return { kind: 'failed', error: error.message };
    case 'bad_response':
      return error.status !== undefined && error.status >= 500
        ? { kind: 'retry', error: error.message }
        : { kind: 'failed', error: error.message };
    case 'rate_limited':
      return { kind: 'retry', error: error.message, delayMs: (error.retryAfterSeconds ?? 60) * 1000 };
    case 'unavailable':
    case 'unauthorized':
    case 'invalid_grant':
      return { kind: 'retry', error: error.message };
  }
}
