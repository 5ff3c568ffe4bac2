import { type Response, type Router } from 'express';
import { type Failure, FailureError, failure } from '../../../shared/failure.js';
import { type Result } from '../../../shared/result.js';
import { Secret } from '../../../shared/secret.js';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { actorOf, type RouteContributor } from '../../../platform/http/app.js';
import { parseInput } from '../../../platform/http/validate.js';
import { type Actor } from '../../identity/domain/actor.js';
import { type GitProvider, type ProviderChange, type ProviderSecrets, type ProviderSettings, type ProviderType, type SecretName } from '../domain/git-provider.js';
import { type CreateProviderHandler } from '../application/commands/create-provider/create-provider.js';
import { type UpdateProviderHandler } from '../application/commands/update-provider/update-provider.js';
import { type ChangeSharingHandler } from '../application/commands/change-sharing/change-sharing.js';
import { type RemoveProviderHandler } from '../application/commands/remove-provider/remove-provider.js';
import { type ProviderQueries } from '../application/queries/provider-summary.js';
import { type ForgeQueries } from '../application/queries/forge-queries.js';
import { type OAuthFlows } from '../application/commands/oauth/oauth-flows.js';
import { type GitHubAppFlows } from '../application/commands/github-app/github-app-flows.js';
import * as s from './schemas.js';

export interface ProviderRouteDeps {
  readonly create: CreateProviderHandler;
  readonly update: UpdateProviderHandler;
  readonly sharing: ChangeSharingHandler;
  readonly remove: RemoveProviderHandler;
  readonly queries: ProviderQueries;
  readonly forge: ForgeQueries;
  readonly oauth: OAuthFlows;
  readonly github: GitHubAppFlows;
  readonly urls: PublicUrls;
}

const secrets = (entries: Partial<Record<SecretName, string | undefined>>): ProviderSecrets =>
  Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Secret.of(v as string)]));

function unwrap<T>(result: Result<T, Failure>): T {
  if (!result.ok) throw new FailureError(result.error);
  return result.value;
}

export class ProviderRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly deps: ProviderRouteDeps) {}

  register(router: Router): void {
    const d = this.deps;

    router.get('/git-providers', async (req, res) => {
      const query = parseInput(s.listQuery, req.query, 'query');
      res.json({ items: await d.queries.list(actorOf(res), query.type) });
    });

    router.get('/git-providers/:id', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const summary = await d.queries.get(actorOf(res), id);
      if (!summary) throw new FailureError(failure.notFound('Git provider'));
      res.json(summary);
    });

    router.post('/git-providers/github', async (req, res) => {
      const b = parseInput(s.githubCreate, req.body, 'body');
      const settings: ProviderSettings = { type: 'github', githubUrl: b.githubUrl, internalUrl: b.internalUrl, appId: b.appId, installationId: b.installationId, clientId: b.clientId };
      await this.created(res, 'github', { name: b.name, settings: strip(settings), secrets: secrets({ privateKey: b.privateKey, webhookSecret: b.webhookSecret, clientSecret: b.clientSecret }) });
    });

    router.post('/git-providers/github/manifest', async (req, res) => {
      const b = parseInput(s.githubManifest, req.body, 'body');
      res.status(201).json(unwrap(await d.github.startManifest(actorOf(res), b)));
    });

    router.post('/git-providers/gitlab', async (req, res) => {
      const b = parseInput(s.gitlabCreate, req.body, 'body');
      const settings: ProviderSettings = {
        type: 'gitlab',
        gitlabUrl: b.gitlabUrl,
        internalUrl: b.internalUrl,
        applicationId: b.applicationId,
        redirectUri: b.redirectUri ?? d.urls.callbackUrl('gitlab'),
        groupName: b.groupName,
      };
      await this.created(res, 'gitlab', { name: b.name, settings: strip(settings), secrets: secrets({ clientSecret: b.secret }) });
    });

    router.post('/git-providers/bitbucket', async (req, res) => {
      const b = parseInput(s.bitbucketCreate, req.body, 'body');
      const settings: ProviderSettings = { type: 'bitbucket', username: b.username, email: b.email, workspace: b.workspace, authMethod: b.apiToken ? 'api_token' : 'app_password' };
      await this.created(res, 'bitbucket', { name: b.name, settings: strip(settings), secrets: secrets({ apiToken: b.apiToken, appPassword: b.appPassword }) });
    });

    router.post('/git-providers/gitea', async (req, res) => {
      const b = parseInput(s.giteaCreate, req.body, 'body');
      const settings: ProviderSettings = { type: 'gitea', giteaUrl: b.giteaUrl, internalUrl: b.internalUrl, clientId: b.clientId, redirectUri: b.redirectUri ?? d.urls.callbackUrl('gitea') };
      await this.created(res, 'gitea', { name: b.name, settings: strip(settings), secrets: secrets({ clientSecret: b.clientSecret }) });
    });

    router.patch('/git-providers/:id/github', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const b = parseInput(s.githubUpdate, req.body, 'body');
      const change: ProviderChange<'github'> = {
        name: b.name,
        settings: { ...strip({ githubUrl: b.githubUrl, appId: b.appId, installationId: b.installationId, clientId: b.clientId }), ...internal(b.internalUrl) },
        secrets: secrets({ privateKey: b.privateKey, webhookSecret: b.webhookSecret, clientSecret: b.clientSecret }),
      };
      await this.updated(res, id, 'github', change, b.expectedVersion);
    });

    router.patch('/git-providers/:id/gitlab', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const b = parseInput(s.gitlabUpdate, req.body, 'body');
      const change: ProviderChange<'gitlab'> = {
        name: b.name,
        settings: {
          ...strip({ gitlabUrl: b.gitlabUrl, applicationId: b.applicationId, redirectUri: b.redirectUri }),
          ...(b.groupName !== undefined ? { groupName: b.groupName } : {}),
          ...internal(b.internalUrl),
        },
        secrets: secrets({ clientSecret: b.secret }),
      };
      await this.updated(res, id, 'gitlab', change, b.expectedVersion);
    });

    router.patch('/git-providers/:id/bitbucket', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const b = parseInput(s.bitbucketUpdate, req.body, 'body');
      const method: 'api_token' | 'app_password' | undefined = b.apiToken ? 'api_token' : b.appPassword ? 'app_password' : undefined;
      const change: ProviderChange<'bitbucket'> = {
        name: b.name,
        settings: strip({ username: b.username, email: b.email, workspace: b.workspace, authMethod: method }),
        // Switching method drops the other credential.
        secrets: {
          ...secrets({ apiToken: b.apiToken, appPassword: b.appPassword }),
          ...(method === 'api_token' ? { appPassword: null } : method === 'app_password' ? { apiToken: null } : {}),
        },
      };
      await this.updated(res, id, 'bitbucket', change, b.expectedVersion);
    });

    router.patch('/git-providers/:id/gitea', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const b = parseInput(s.giteaUpdate, req.body, 'body');
      const change: ProviderChange<'gitea'> = {
        name: b.name,
        settings: { ...strip({ giteaUrl: b.giteaUrl, clientId: b.clientId, redirectUri: b.redirectUri }), ...internal(b.internalUrl) },
        secrets: secrets({ clientSecret: b.clientSecret }),
      };
      await this.updated(res, id, 'gitea', change, b.expectedVersion);
    });

    router.put('/git-providers/:id/sharing', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const b = parseInput(s.sharingBody, req.body, 'body');
      const actor = actorOf(res);
      const provider = unwrap(await d.sharing.execute(actor, id, b.sharedWithOrganization));
      res.json(await this.summaryOf(actor, provider));
    });

    router.delete('/git-providers/:id', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      unwrap(await d.remove.execute(actorOf(res), id));
      res.status(204).end();
    });

    router.get('/git-providers/:id/authorize-url', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      res.json({ authorizeUrl: unwrap(await d.oauth.authorizeUrlFor(actorOf(res), id)) });
    });

    router.post('/git-providers/:id/test-connection', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      res.json(unwrap(await d.forge.testConnection(actorOf(res), id)));
    });

    router.get('/git-providers/:id/repositories', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const q = parseInput(s.repositoriesQuery, req.query, 'query');
      res.json(unwrap(await d.forge.repositories(actorOf(res), id, q)));
    });

    router.get('/git-providers/:id/branches', async (req, res) => {
      const { id } = parseInput(s.providerIdParams, req.params, 'path');
      const q = parseInput(s.branchesQuery, req.query, 'query');
      res.json(unwrap(await d.forge.branches(actorOf(res), id, q.repository, q)));
    });
  }

  private async created(res: Response, type: ProviderType, command: { name: string; settings: ProviderSettings; secrets: ProviderSecrets }): Promise<void> {
    const actor = actorOf(res);
    const provider = unwrap(await this.deps.create.execute(actor, command));
    const summary = await this.summaryOf(actor, provider);
    if (type === 'gitlab' || type === 'gitea') {
      res.status(201).json({ ...summary, authorizeUrl: unwrap(await this.deps.oauth.authorizeUrlFor(actor, provider.id)) });
    } else res.status(201).json(summary);
  }

  private async updated(res: Response, id: string, type: ProviderType, change: ProviderChange, expectedVersion?: number): Promise<void> {
    const actor = actorOf(res);
    const provider = unwrap(await this.deps.update.execute(actor, { providerId: id, type, change, expectedVersion }));
    res.json(await this.summaryOf(actor, provider));
  }

  private async summaryOf(actor: Actor, provider: GitProvider): Promise<Record<string, unknown>> {
    const summary = await this.deps.queries.get(actor, provider.id);
    if (!summary) throw new FailureError(failure.notFound('Git provider'));
    return summary;
  }
}

/** PATCH: a string sets the internal URL, null removes it, absent keeps it. */
const internal = (value: string | null | undefined): { internalUrl?: string | null } => (value === undefined ? {} : { internalUrl: value });

function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
