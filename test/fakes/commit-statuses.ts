import { specs } from '../support/openapi.js';

/**
 * Commit statuses on a fake forge, shared by the five fakes (each maps the answer to its own error shapes): the commits
 * each repository has (others: unknown), repositories whose credentials lack the status permission (403), forced
 * failures of the status endpoint only (5xx, 429 + Retry-After), and every accepted post in order. Request bodies are
 * checked against the forge's official description where one is vendored (GitHub, Gitea/Forgejo, Bitbucket Cloud)
 * and against the documented fields otherwise (GitLab, Bitbucket Data Center): a mismatch answers 422 and is kept in
 * `invalid`, so a test sees it.
 */
export interface PostedStatus {
  readonly repository: string;
  readonly sha: string;
  readonly body: Record<string, unknown>;
}

export interface StatusAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface BodySchema {
  readonly properties: Record<string, { type?: string; enum?: readonly string[] }>;
  readonly required?: readonly string[];
}

export type StatusForge = 'github' | 'gitlab' | 'gitea' | 'bitbucket' | 'bitbucket-datacenter';

/** Where each schema comes from (test/fixtures/SOURCES.md for the vendored ones; FORGES.md for the two without). */
function schemaOf(forge: StatusForge): BodySchema {
  switch (forge) {
    case 'github': {
      const spec = specs.github() as unknown as {
        paths: Record<string, { post: { requestBody: { content: Record<string, { schema: BodySchema }> } } }>;
      };
      return spec.paths['/repos/{owner}/{repo}/statuses/{sha}']!.post.requestBody.content['application/json']!.schema;
    }
    case 'gitea': {
      const spec = specs.gitea() as unknown as { definitions: Record<string, BodySchema> };
      return spec.definitions['CreateStatusOption']!;
    }
    case 'bitbucket': {
      const spec = specs.bitbucket() as unknown as { components: { schemas: Record<string, { allOf: BodySchema[] }> } };
      const own = spec.components.schemas['commitstatus']!.allOf.find((part) => 'properties' in part)!;
      // `url` is required in practice (FORGES.md: Bitbucket Cloud refuses a build status without it).
      return { properties: own.properties, required: [...(own.required ?? []), 'url'] };
    }
    case 'gitlab':
      // docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
      return {
        properties: {
          state: { type: 'string', enum: ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'] },
          ref: { type: 'string' },
          name: { type: 'string' },
          context: { type: 'string' },
          target_url: { type: 'string' },
          description: { type: 'string' },
          coverage: { type: 'number' },
          pipeline_id: { type: 'integer' },
        },
        required: ['state'],
      };
    case 'bitbucket-datacenter':
      // Bitbucket Data Center REST "Store a build status" (RestBuildStatusSetRequest): key, state and url are required.
      return {
        properties: {
          key: { type: 'string' },
          state: { type: 'string', enum: ['SUCCESSFUL', 'FAILED', 'INPROGRESS', 'CANCELLED', 'UNKNOWN'] },
          url: { type: 'string' },
          name: { type: 'string' },
          description: { type: 'string' },
          ref: { type: 'string' },
          parent: { type: 'string' },
          buildNumber: { type: 'string' },
          duration: { type: 'integer' },
          lastUpdated: { type: 'integer' },
          testResults: { type: 'object' },
        },
        required: ['key', 'state', 'url'],
      };
  }
}

export class FakeCommitStatuses {
  /** Every post the forge accepted, in order. */
  readonly posted: PostedStatus[] = [];
  /** Bodies that did not match the forge's description. */
  readonly invalid: { body: unknown; problems: string[] }[] = [];
  /** Every request that reached the status endpoint (accepted, refused or failed). */
  requests = 0;
  /** When each of those requests arrived (Date.now()), in order. */
  readonly requestTimes: number[] = [];
  private readonly commits = new Map<string, Set<string>>();
  private readonly denied = new Set<string>();
  private readonly failures: { status: number; remaining: number; headers: Record<string, string> }[] = [];
  private schema?: BodySchema;

  constructor(private readonly forge: StatusForge) {}

  /** A commit the repository has (statuses on any other sha are refused as unknown). */
  addCommit(repository: string, sha: string): void {
    const key = repository.toLowerCase();
    if (!this.commits.has(key)) this.commits.set(key, new Set());
    this.commits.get(key)!.add(sha.toLowerCase());
  }

  /** The credentials lack the status permission on this repository (GitHub App without statuses:write, a GitLab Reporter). */
  deny(repository: string, denied = true): void {
    if (denied) this.denied.add(repository.toLowerCase());
    else this.denied.delete(repository.toLowerCase());
  }

  /** The next `times` status posts fail with `status` (5xx, 429 with a Retry-After header, ...). */
  fail(status: number, times = 1, headers: Record<string, string> = {}): void {
    this.failures.push({ status, remaining: times, headers });
  }

  /** Drops forced failures not used up. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** The posts on one commit, in order. */
  on(repository: string, sha: string): PostedStatus[] {
    return this.posted.filter((p) => p.repository.toLowerCase() === repository.toLowerCase() && p.sha === sha.toLowerCase());
  }

  /**
   * One status post on an existing, authorised repository. `refuse` answers the forge's own shapes for 403 and for an
   * unknown commit; `duplicate` may refuse a repeat of the state the name already has (GitLab).
   */
  handle(
    repository: string,
    sha: string,
    body: unknown,
    shapes: {
      forbidden: () => StatusAnswer;
      unknownCommit: () => StatusAnswer;
      invalid: (problems: string[]) => StatusAnswer;
      created: (body: Record<string, unknown>) => StatusAnswer;
      duplicate?: (previous: Record<string, unknown>, body: Record<string, unknown>) => StatusAnswer | undefined;
      nameField?: string;
    },
  ): StatusAnswer {
    this.requests++;
    this.requestTimes.push(Date.now());
    const failure = this.failures[0];
    if (failure) {
      if (--failure.remaining <= 0) this.failures.shift();
      return { status: failure.status, body: { message: `forced ${failure.status}` }, headers: failure.headers };
    }
    if (this.denied.has(repository.toLowerCase())) return shapes.forbidden();
    if (!this.commits.get(repository.toLowerCase())?.has(sha.toLowerCase())) return shapes.unknownCommit();
    const problems = this.problems(body);
    if (problems.length > 0) {
      this.invalid.push({ body, problems });
      return shapes.invalid(problems);
    }
    const record = body as Record<string, unknown>;
    const field = shapes.nameField ?? 'context';
    const previous = this.on(repository, sha)
      .filter((p) => p.body[field] === record[field])
      .at(-1);
    const refused = previous && shapes.duplicate ? shapes.duplicate(previous.body, record) : undefined;
    if (refused) return refused;
    this.posted.push({ repository, sha: sha.toLowerCase(), body: record });
    return shapes.created(record);
  }

  private problems(body: unknown): string[] {
    this.schema ??= schemaOf(this.forge);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['body: not a JSON object'];
    const problems: string[] = [];
    const record = body as Record<string, unknown>;
    for (const name of this.schema.required ?? []) if (record[name] === undefined) problems.push(`${name}: required`);
    for (const [name, value] of Object.entries(record)) {
      const property = this.schema.properties[name];
      if (!property) {
        problems.push(`${name}: not in the forge's description`);
        continue;
      }
      if (property.type === 'string' && typeof value !== 'string') problems.push(`${name}: not a string`);
      if (property.enum && !property.enum.includes(value as string))
        problems.push(`${name}: ${String(value)} is not one of ${property.enum.join(', ')}`);
    }
    return problems;
  }
}
