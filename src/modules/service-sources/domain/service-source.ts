import { AggregateRoot } from '../../../shared/aggregate-root.js';
import { type RepositoryRef } from '../../../shared/repository-identity.js';

export const SERVICE_TYPES = ['application', 'compose'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
export const TRIGGER_TYPES = ['push', 'tag'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];
export const SERVICE_STATUSES = ['idle', 'running', 'done', 'error'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];
/** A git provider's type (its forge plug-in's). */
export type ProviderTypeName = string;

export interface WebhookRegistration {
  readonly registered: boolean;
  readonly url: string | null;
  /** 'github-app': the App's own hook; 'forgelink': a repository hook forgelink registered. */
  readonly managedBy?: 'github-app' | 'forgelink';
  /** Why registration failed (e.g. the forge refused: missing permission). */
  readonly error?: string;
  /**
   * ISO-8601 time the hook started serving this source (the repository hook's creation, or the connect for a GitHub
   * App's hook); absent on sources connected before it was recorded. A source whose repository has delivered nothing
   * since then is `awaiting_first_delivery`.
   */
  readonly registeredAt?: string;
}

/** Pull/merge request previews (contract `previews`): off unless asked for; forks need their own opt-in. */
export interface PreviewPolicy {
  readonly enabled: boolean;
  /** Requests whose head is in another repository (a fork) run a stranger's code: only when this is true too. */
  readonly fromForks: boolean;
}

export const NO_PREVIEWS: PreviewPolicy = { enabled: false, fromForks: false };

export interface SourceLink {
  readonly providerId: string;
  readonly providerType: ProviderTypeName;
  /** Full name: owner/name, GitLab subgroups included (group/sub/repo), as the forge spells it. */
  readonly repository: string;
  /** The forge's stable id of the repository (shared/repository-identity.ts). */
  readonly repositoryId: string;
  readonly branch: string | null;
  readonly triggerType: TriggerType;
  readonly watchPaths: readonly string[] | null;
  readonly autoDeploy: boolean;
  readonly buildPath: string;
  readonly composePath: string | null;
  /** Absent: previews off (NO_PREVIEWS). */
  readonly previews?: PreviewPolicy;
}

/** What a manual deploy names: a branch or a tag (short name). */
export interface DeployRef {
  readonly type: 'branch' | 'tag';
  readonly name: string;
}

/** The commit a manual deploy deploys, as the forge reported the ref's head. */
export interface DeployCommit {
  readonly sha: string;
  readonly message: string;
  readonly author: string;
}

const NO_WEBHOOK: WebhookRegistration = { registered: false, url: null };

/**
 * Where a service of the deploy platform takes its code from. Disconnecting clears every Git field,
 * and a compose goes back to idle (the seed's disconnectGitProvider).
 */
export class ServiceSource extends AggregateRoot {
  serviceType!: ServiceType;
  serviceId!: string;
  organizationId!: string;
  sourceType!: 'git' | 'none';
  providerId!: string | null;
  providerType!: ProviderTypeName | null;
  repository!: string | null;
  /** null when not connected, and on sources connected before ids were recorded (filled in by their next delivery). */
  repositoryId!: string | null;
  owner!: string | null;
  branch!: string | null;
  triggerType!: TriggerType | null;
  watchPaths!: string[] | null;
  autoDeploy!: boolean;
  buildPath!: string;
  composePath!: string | null;
  previews!: PreviewPolicy;
  status!: ServiceStatus;
  webhook!: WebhookRegistration;
  createdAt!: Date;
  updatedAt!: Date;
  version!: number;

  static empty(organizationId: string, serviceType: ServiceType, serviceId: string, now = new Date()): ServiceSource {
    const source = new ServiceSource();
    source.serviceType = serviceType;
    source.serviceId = serviceId;
    source.organizationId = organizationId;
    source.createdAt = now;
    source.updatedAt = now;
    source.version = 1;
    source.status = 'idle';
    source.clearGitFields();
    return source;
  }

  isConnected(): boolean {
    return this.sourceType === 'git';
  }

  /** The connected repository (id absent on sources stored before ids were recorded); undefined when not connected. */
  repositoryRef(): RepositoryRef | undefined {
    if (!this.isConnected() || !this.repository) return undefined;
    return this.repositoryId ? { id: this.repositoryId, fullName: this.repository } : { fullName: this.repository };
  }

  /**
   * Someone asked to deploy `ref` now (the dashboard's Deploy button): records `deployment.requested` with the commit
   * the forge says the ref points at, `trigger: "manual"` and no delivery id. Nothing about the link changes.
   * Returns the event's id (the API answers it).
   */
  requestDeployment(ref: DeployRef, commit: DeployCommit, now = new Date()): string {
    if (!this.isConnected() || !this.providerId || !this.repository) throw new Error('Only a connected source deploys');
    this.record(
      'deployment.requested',
      this.organizationId,
      this.serviceId,
      {
        serviceType: this.serviceType,
        serviceId: this.serviceId,
        providerId: this.providerId,
        providerType: this.providerType,
        repository: this.repository,
        repositoryId: this.repositoryId,
        ref: { type: ref.type, name: ref.name },
        commit: { sha: commit.sha, message: commit.message, author: commit.author },
        trigger: 'manual',
        deliveryId: null,
      },
      now,
    );
    const event = this.peekDomainEvents().at(-1);
    if (!event) throw new Error('deployment.requested was not recorded');
    return event.id;
  }

  /** Links the service to a provider + repository (+ branch); replaces an earlier link. */
  connect(link: SourceLink, webhook: WebhookRegistration, now = new Date()): void {
    if (link.triggerType === 'push' && !link.branch) throw new Error('A push source needs a branch');
    if (this.serviceType !== 'compose' && link.composePath) throw new Error('Only compose services have a compose path');
    this.sourceType = 'git';
    this.providerId = link.providerId;
    this.providerType = link.providerType;
    this.repository = link.repository;
    this.repositoryId = link.repositoryId;
    this.owner = ownerOf(link.repository);
    this.branch = link.branch;
    this.triggerType = link.triggerType;
    this.watchPaths = link.watchPaths && link.watchPaths.length > 0 ? [...link.watchPaths] : null;
    this.autoDeploy = link.autoDeploy;
    this.buildPath = link.buildPath;
    this.composePath = this.serviceType === 'compose' ? (link.composePath ?? 'docker-compose.yml') : null;
    this.previews = { enabled: link.previews?.enabled ?? false, fromForks: link.previews?.fromForks ?? false };
    this.webhook = webhook;
    this.updatedAt = now;
    this.record('service-source.connected', this.organizationId, this.serviceId, this.eventData(), now);
  }

  /** Clears every Git field; a compose also returns to idle. Disconnecting twice changes nothing the second time. */
  disconnect(now = new Date()): void {
    if (!this.isConnected()) return;
    const before = this.eventData();
    this.clearGitFields();
    if (this.serviceType === 'compose') this.status = 'idle';
    this.updatedAt = now;
    this.record('service-source.disconnected', this.organizationId, this.serviceId, before, now);
  }

  reportStatus(status: ServiceStatus, now = new Date()): void {
    if (this.status === status) return;
    this.status = status;
    this.updatedAt = now;
  }

  updateWebhook(webhook: WebhookRegistration, now = new Date()): void {
    this.webhook = webhook;
    this.updatedAt = now;
  }

  private clearGitFields(): void {
    this.sourceType = 'none';
    this.providerId = null;
    this.providerType = null;
    this.repository = null;
    this.repositoryId = null;
    this.owner = null;
    this.branch = null;
    this.triggerType = null;
    this.watchPaths = null;
    this.autoDeploy = false;
    this.buildPath = '/';
    this.composePath = null;
    this.previews = NO_PREVIEWS;
    this.webhook = NO_WEBHOOK;
  }

  private eventData(): Record<string, unknown> {
    return {
      serviceType: this.serviceType,
      serviceId: this.serviceId,
      providerId: this.providerId,
      repository: this.repository,
      repositoryId: this.repositoryId,
      branch: this.branch,
    };
  }
}

export const ownerOf = (fullName: string): string => fullName.slice(0, fullName.lastIndexOf('/'));
