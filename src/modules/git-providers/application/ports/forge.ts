import { match } from 'ts-pattern';
import { type Failure } from '../../../../shared/failure.js';
import { type RepositoryRef } from '../../../../shared/repository-identity.js';

/**
 * The ports the application needs from a forge. One adapter per forge lives under
 * src/forges/<forge>/ and turns the forge's API into these shapes (anti-corruption layer).
 */
/** A forge's provider type as stored in `git_provider.type` (the forge plug-in's `type`). */
export type ForgeKind = string;

/** A forge as messages name it: its type and the label people know it by ("GitHub", "Gitea/Forgejo"). */
export interface ForgeName {
  readonly type: ForgeKind;
  readonly label: string;
}

export interface ForgeRepository {
  /** The forge's own id, as a string (GitHub/GitLab/Gitea numeric ids, Bitbucket uuid). */
  readonly id: string;
  /** owner/name; GitLab subgroups keep every segment: group/sub/repo. */
  readonly fullName: string;
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly private: boolean;
  readonly htmlUrl: string;
  readonly cloneUrl: string;
}

export interface ForgeBranch {
  readonly name: string;
  readonly commitSha: string;
  readonly protected?: boolean;
}

export interface ChangedFiles {
  readonly files: readonly string[];
  /** False when the forge could not list every changed file (compare capped); callers then deploy. */
  readonly complete: boolean;
}

export interface ForgeCommit {
  /** The full commit id. */
  readonly sha: string;
  readonly message: string;
  /** The author's name as the forge shows it. */
  readonly author: string;
}

export interface RegisteredHook {
  readonly id: string;
  /** True when a hook with the same URL already existed and was reused (its secret is updated to ours). */
  readonly reused: boolean;
}

/** Read access every forge offers, with credentials already bound. */
export interface ForgeApi {
  /** Every repository the credentials can see, all pages. */
  listRepositories(): Promise<ForgeRepository[]>;
  /** Every branch of one repository, all pages. Throws ForgeError('not_found') for an unknown repository. */
  listBranches(fullName: string): Promise<ForgeBranch[]>;
  /** null when the repository does not exist or is not visible to the credentials. */
  getRepository(fullName: string): Promise<ForgeRepository | null>;
  /** null when the branch (or its repository) does not exist. */
  getBranch(fullName: string, branch: string): Promise<ForgeBranch | null>;
  /** Files changed between two commits (the compare API), for watch paths when a payload is truncated. */
  changedFiles(fullName: string, baseSha: string, headSha: string): Promise<ChangedFiles>;
  /**
   * The commit a full sha or an abbreviation names; null when the forge knows no such commit. Offered by forges whose
   * payloads abbreviate commits (Bitbucket Cloud pull requests), for previews.
   */
  getCommit?(fullName: string, sha: string): Promise<ForgeCommit | null>;
  /** Commit statuses (see {@link ForgeCommitStatuses}); every plug-in offers it. */
  setCommitStatus?: ForgeCommitStatuses['setCommitStatus'];
  /**
   * The commit a branch or tag points at now (manual deploys): an annotated tag is peeled to its commit, never the tag
   * object. Forges whose API takes the stable id use `repository.id` (a renamed repository still resolves); the others
   * use its current name. null when the ref or the repository does not exist.
   */
  refHead?(repository: RepositoryRef, ref: GitRef): Promise<ForgeCommit | null>;
}

/** A branch or a tag of a repository, by its short name (`main`, `release/1.2`, `v1.0.0`). */
export interface GitRef {
  readonly type: 'branch' | 'tag';
  readonly name: string;
}

/** A deployment state forgelink reports on a commit; each plug-in maps it to its forge's states. */
export type CommitStatusState = 'running' | 'done' | 'error';

/** One commit status to post (docs/api.md "Commit statuses"). */
export interface CommitStatus {
  readonly state: CommitStatusState;
  /** `forgelink/<serviceType>/<serviceId>`: the plug-in shortens it (see forges/shared/commit-status.ts) to its forge's limits. */
  readonly name: string;
  /** The deployer's link; absent when it gave none. */
  readonly targetUrl?: string;
  /** Where the status links when `targetUrl` is absent and the forge requires a link (Bitbucket Cloud and Data Center). */
  readonly fallbackUrl: string;
  readonly description: string;
}

/**
 * `posted`: the forge stored the status; `unchanged`: the forge already shows that state for that name and refused the
 * repeat (GitLab's "Cannot transition status via :run from :running"), which counts as posted.
 */
export type CommitStatusAnswer = 'posted' | 'unchanged';

/** Commit statuses, a capability each plug-in declares on its ForgeApi (ADR 0018). */
export interface ForgeCommitStatuses {
  /**
   * Posts `status` on commit `sha` of `repository` (GitLab addresses the project by its id when known). Throws ForgeError:
   * `forbidden`/`resource_forbidden` when the credentials lack the permission, `not_found` for an unknown repository or
   * commit, `rate_limited`/`unavailable` when worth retrying.
   */
  setCommitStatus(
    repository: { readonly fullName: string; readonly id?: string },
    sha: string,
    status: CommitStatus,
  ): Promise<CommitStatusAnswer>;
}

/** Repository webhooks forgelink registers itself (GitLab, Gitea/Forgejo, Bitbucket; GitHub Apps have one app-level hook). */
export interface ForgeHooks {
  /** Creates an active push + tag hook for `url`, or reuses (and updates the secret of) one with the same URL. */
  ensureHook(fullName: string, url: string, secret: string): Promise<RegisteredHook>;
  /** Removes every hook on the repository whose URL is `url`. A missing hook or repository is not an error. */
  removeHook(fullName: string, url: string): Promise<void>;
  /**
   * Whether the forge still delivers through the hook with URL `url` (hook health): `active: false` with the forge's
   * own words when it disabled the hook (GitLab after failing deliveries) or someone switched it off; null when the
   * repository has no hook with that URL.
   */
  hookState?(fullName: string, url: string): Promise<HookState | null>;
}

export interface HookState {
  readonly active: boolean;
  /** With `active: false`: what to do about it on this forge, in its own terms (shown after the reason). */
  readonly remedy?: string;
  /** With `active: false`: what the forge says, e.g. "GitLab disabled the hook after failing deliveries". */
  readonly reason?: string;
}

export interface OAuthTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Absent when the forge did not say (self-hosted GitLab may omit expires_in). */
  readonly expiresAt?: Date;
}

/** OAuth2 authorization-code flow of GitLab and Gitea/Forgejo. */
export interface OAuthClient {
  authorizeUrl(input: { clientId: string; redirectUri: string; state: string }): string;
  /** Throws ForgeError('invalid_grant') when the code is bad or used. */
  exchangeCode(input: { code: string; clientId: string; clientSecret: string; redirectUri: string }): Promise<OAuthTokens>;
  /** Refresh tokens are single-use: the old pair is dead once this returns. Throws ForgeError('invalid_grant') when revoked. */
  refresh(input: { refreshToken: string; clientId: string; clientSecret: string; redirectUri: string }): Promise<OAuthTokens>;
}

export type ForgeErrorKind =
  | 'unauthorized' // 401: credentials wrong, expired or revoked
  | 'forbidden' // 403 refusing the credentials as a whole: missing scope, suspended/uninstalled App, revoked grant
  | 'resource_forbidden' // 403 for one repository/project only (e.g. a GitLab Guest); `resource` names it
  | 'not_found'
  | 'invalid_grant' // OAuth code/refresh token rejected: the user must authorise again
  | 'rate_limited' // 429, or GitHub's 403 with x-ratelimit-remaining: 0 / secondary limit
  | 'unavailable' // 5xx, timeout, connection refused — after retries
  | 'bad_response' // the forge answered something we could not parse
  | 'blocked_url'; // the SSRF guard refused the address

/** Every adapter failure is one of these; the HTTP edge maps them to the contract's codes. */
export class ForgeError extends Error {
  /** The forge's type. */
  readonly forge: ForgeKind;
  /** The forge's label, for problem details ("GitHub rejected the provider's credentials"). */
  readonly label: string;

  constructor(
    forge: ForgeName | ForgeKind,
    readonly kind: ForgeErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
    /** For 'resource_forbidden': what the forge refused ("project grp/app", "repository acme/web"). */
    readonly resource?: string,
  ) {
    super(message);
    this.name = 'ForgeError';
    this.forge = typeof forge === 'string' ? forge : forge.type;
    this.label = typeof forge === 'string' ? forge : forge.label;
  }

  /** What the API answers for it (the HTTP error middleware sends any error's `failure`). */
  get failure(): Failure {
    return forgeFailure(this);
  }

  /** Logged with the answer, never sent. */
  get context(): Readonly<Record<string, unknown>> {
    return { forge: this.forge, kind: this.kind, status: this.status, detail: this.message };
  }
}

/** Forge adapter failures as the contract's problems; the detail says which forge and what to do. */
function forgeFailure(error: ForgeError): Failure {
  const forge = error.label;
  return (
    match(error.kind)
      .with('rate_limited', () => ({
        code: 'FORGE_RATE_LIMITED' as const,
        detail: `${forge} rate-limited forgelink; retry after ${error.retryAfterSeconds ?? 60} s`,
        retryAfterSeconds: error.retryAfterSeconds ?? 60,
      }))
      .with('invalid_grant', () => ({
        code: 'PROVIDER_NOT_READY' as const,
        detail: `${forge} no longer accepts forgelink's authorisation. Open GET /v1/git-providers/{id}/authorize-url and authorise again.`,
      }))
      .with('unauthorized', () => ({
        code: 'PROVIDER_NOT_READY' as const,
        detail: `${forge} rejected the provider's credentials: ${error.message}. Update the provider's credentials (PATCH), or authorise it again.`,
      }))
      // The message carries the forge's own words and the remedy (forge-http.ts refusalOf).
      .with('forbidden', () => ({ code: 'PROVIDER_NOT_READY' as const, detail: error.message }))
      .with('resource_forbidden', () => ({
        code: 'FORGE_FORBIDDEN' as const,
        detail: `${error.message}. The provider stays ready: the credentials lack access to ${error.resource ?? 'this resource'} only (GitLab: Reporter or more; GitHub: the App's permissions on it).`,
      }))
      .with('not_found', () => ({ code: 'NOT_FOUND' as const, detail: `${forge}: ${error.message}` }))
      .with('blocked_url', () => ({
        code: 'VALIDATION_FAILED' as const,
        detail: error.message,
        errors: [{ path: 'url', message: error.message }],
      }))
      .with('unavailable', 'bad_response', () => ({
        code: 'FORGE_ERROR' as const,
        detail: `${forge}${error.status ? ` (status ${error.status})` : ''}: ${error.message}`,
      }))
      .exhaustive()
  );
}
