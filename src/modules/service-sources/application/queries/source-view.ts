import { type ReadDatabase } from '../../../../shared/read-database.js';
import { type Actor, isOwnerOrAdmin } from '../../../identity/domain/actor.js';
import { type PreviewPolicy, type ServiceSource, type WebhookRegistration } from '../../domain/service-source.js';

/**
 * How the source's hook is doing (docs/api.md "Hook health"):
 * - `not_registered`: no hook serves the source (disconnected, or registration failed: see `error`);
 * - `awaiting_first_delivery`: registered, but its repository has delivered nothing since (within the delivery retention);
 * - `delivering`: the repository's hook has delivered since it was registered;
 * - `disabled`: the forge disabled the hook (GitLab after repeated failures, an inactive Gitea/Forgejo hook): see
 *   `disabledReason`; only known when the source is read with its forge asked (GET …/source).
 */
export type HookStatus = 'not_registered' | 'awaiting_first_delivery' | 'delivering' | 'disabled';

export interface WebhookView extends WebhookRegistration {
  /** ISO-8601 time of the last delivery to the provider that concerned this source's repository. */
  lastDeliveryAt?: string;
  /** That delivery's outcome (`deployed`, `ignored`, `duplicate`). */
  lastOutcome?: string;
  status: HookStatus;
  /** With `status: "disabled"`: what the forge says, and what to do. */
  disabledReason?: string;
}

/** The repository's last recorded delivery (webhook_delivery_repository index), if any. */
export interface LastDelivery {
  readonly at: Date;
  readonly outcome: string;
}

/**
 * How posting commit statuses goes (docs/api.md "Commit statuses"): the newest handled report decides — `ok` posted,
 * `forbidden` the forge refused the permission (not retried), `failing` retrying or given up; `reason` is the forge's words.
 */
export interface StatusReportingView {
  state: 'ok' | 'forbidden' | 'failing';
  reason?: string;
  lastPostedAt?: string;
}

export interface SourceView {
  serviceType: string;
  serviceId: string;
  organizationId: string;
  sourceType: 'git' | 'none';
  providerId: string | null;
  providerType: string | null;
  repository: string | null;
  /** The forge's stable id of the repository; null when not connected (or connected before ids were recorded, until its next delivery). */
  repositoryId: string | null;
  owner: string | null;
  branch: string | null;
  triggerType: string | null;
  watchPaths: string[] | null;
  autoDeploy: boolean;
  buildPath: string;
  /** Always present; null for applications (they have no compose file). */
  composePath: string | null;
  previews: PreviewPolicy;
  status: string;
  webhook: WebhookView;
  /** Absent until a reported commit status was handled (posted, refused or attempted). */
  statusReporting?: StatusReportingView;
  version: number;
}

interface SourceRow {
  service_type: string;
  service_id: string;
  organization_id: string;
  source_type: 'git' | 'none';
  provider_id: string | null;
  provider_type: string | null;
  repository: string | null;
  repository_id: string | null;
  owner: string | null;
  branch: string | null;
  trigger_type: string | null;
  watch_paths: string[] | null;
  auto_deploy: boolean;
  build_path: string;
  compose_path: string | null;
  previews: PreviewPolicy;
  status: string;
  webhook: WebhookRegistration;
  version: number;
  last_delivery_at?: Date | string | null;
  last_outcome?: string | null;
  status_outcome?: string | null;
  status_error?: string | null;
  status_posted_at?: Date | string | null;
}

export class SourceQueries {
  constructor(private readonly db: ReadDatabase) {}

  /**
   * The caller's view of a service's source, or null when there is none — or when it is connected to a provider the
   * caller may not see (the provider rule: its creator, everyone once shared, owners and admins), so a source never
   * reveals a private provider's id, repository or hook.
   */
  async get(actor: Actor, serviceType: string, serviceId: string): Promise<SourceView | null> {
    // The repository's last delivery comes from an index (webhook_delivery_repository): one row, whatever the history.
    const [row] = await this.db.query<SourceRow>(
      `select s.*, d.received_at as last_delivery_at, d.outcome as last_outcome,
              cs.outcome as status_outcome, cs.last_error as status_error, cp.posted_at as status_posted_at
         from service_source s
         left join git_provider p on p.id = s.provider_id
         left join lateral (
           select received_at, outcome from webhook_delivery
            where provider_id = s.provider_id and repository_id = s.repository_id and repository_id is not null
            order by received_at desc limit 1) d on s.source_type = 'git'
         left join lateral (
           select outcome, last_error from commit_status
            where organization_id = s.organization_id and service_type = s.service_type and service_id = s.service_id
              and outcome <> 'superseded' and (outcome <> 'pending' or attempts > 0)
            order by sequence desc limit 1) cs on true
         left join lateral (
           select max(posted_at) as posted_at from commit_status
            where organization_id = s.organization_id and service_type = s.service_type and service_id = s.service_id
              and outcome = 'posted') cp on true
        where s.service_type = ? and s.service_id = ? and s.organization_id = ?
          and (s.provider_id is null or p.id is null or p.created_by = ? or p.shared_with_organization or ?)`,
      [serviceType, serviceId, actor.organizationId, actor.userId, isOwnerOrAdmin(actor)],
    );
    return row ? fromRow(row) : null;
  }
}

function fromRow(row: SourceRow): SourceView {
  return {
    serviceType: row.service_type,
    serviceId: row.service_id,
    organizationId: row.organization_id,
    sourceType: row.source_type,
    providerId: row.provider_id,
    providerType: row.provider_type,
    repository: row.repository,
    repositoryId: row.repository_id,
    owner: row.owner,
    branch: row.branch,
    triggerType: row.trigger_type,
    watchPaths: row.watch_paths,
    autoDeploy: row.auto_deploy,
    buildPath: row.build_path,
    composePath: row.compose_path,
    previews: { enabled: row.previews?.enabled === true, fromForks: row.previews?.fromForks === true },
    status: row.status,
    webhook: webhookView(
      row.webhook,
      row.last_delivery_at && row.last_outcome ? { at: new Date(row.last_delivery_at), outcome: row.last_outcome } : undefined,
    ),
    ...(row.status_outcome ? { statusReporting: statusReporting(row) } : {}),
    version: row.version,
  };
}

function statusReporting(row: SourceRow): StatusReportingView {
  const state = row.status_outcome === 'posted' ? 'ok' : row.status_outcome === 'forbidden' ? 'forbidden' : 'failing';
  return {
    state,
    ...(state !== 'ok' && row.status_error ? { reason: row.status_error } : {}),
    ...(row.status_posted_at ? { lastPostedAt: new Date(row.status_posted_at).toISOString() } : {}),
  };
}

/** The stored registration with the repository's last delivery, and the status they add up to (before the forge is asked). */
export function webhookView(webhook: WebhookRegistration, last: LastDelivery | undefined): WebhookView {
  const view: WebhookView = { ...webhook, status: 'not_registered' };
  if (last) {
    view.lastDeliveryAt = last.at.toISOString();
    view.lastOutcome = last.outcome;
  }
  if (!webhook.registered) return view;
  const since = webhook.registeredAt ? Date.parse(webhook.registeredAt) : Number.NEGATIVE_INFINITY;
  view.status = last && last.at.getTime() >= since ? 'delivering' : 'awaiting_first_delivery';
  return view;
}

/**
 * The same view from an aggregate just saved (a command's answer). `last` is the repository's last delivery when the
 * caller read it; without it a registered hook reads `awaiting_first_delivery`.
 */
export function sourceView(source: ServiceSource, last?: LastDelivery): SourceView {
  return fromRow({
    service_type: source.serviceType,
    service_id: source.serviceId,
    organization_id: source.organizationId,
    source_type: source.sourceType,
    provider_id: source.providerId,
    provider_type: source.providerType,
    repository: source.repository,
    repository_id: source.repositoryId,
    owner: source.owner,
    branch: source.branch,
    trigger_type: source.triggerType,
    watch_paths: source.watchPaths,
    auto_deploy: source.autoDeploy,
    build_path: source.buildPath,
    compose_path: source.composePath,
    previews: { ...source.previews },
    status: source.status,
    webhook: { ...source.webhook },
    version: source.version,
    last_delivery_at: last?.at ?? null,
    last_outcome: last?.outcome ?? null,
  });
}
