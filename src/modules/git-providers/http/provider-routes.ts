import { type Response } from 'express';
import { type Failure, FailureError, failure } from '../../../shared/failure.js';
import { type Result } from '../../../shared/result.js';
import { Secret } from '../../../shared/secret.js';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { type RouteContributor } from '../../../platform/http/app.js';
import { actorOf } from '../../identity/http/actor-of.js';
import { type ApiRouter } from '../../../platform/http/api-routes.js';
import { type Actor } from '../../identity/domain/actor.js';
import {
  type GitProvider,
  type ProviderChange,
  type ProviderSecrets,
  type ProviderSettings,
  type ProviderType,
  type SecretName,
} from '../domain/git-provider.js';
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
  Object.fromEntries(
    Object.entries(entries)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Secret.of(v as string)]),
  );

/** The problems of a route that calls the forge. */
const FORGE_PROBLEMS = ['PROVIDER_NOT_READY', 'FORGE_RATE_LIMITED', 'FORGE_ERROR'] as const;

function unwrap<T>(result: Result<T, Failure>): T {
  if (!result.ok) throw new FailureError(result.error);
  return result.value;
}

export class ProviderRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly deps: ProviderRouteDeps) {}

  register(routes: ApiRouter): void {
    const d = this.deps;
    const tag = 'Git providers';
    const params = s.providerIdParams;
    const summary = { description: 'The provider (never a secret)', schema: s.providerSummary };

    routes.route({
      method: 'get',
      path: '/git-providers',
      tag,
      summary: 'The providers the caller can see',
      query: s.listQuery,
      responses: { 200: { description: 'Visible providers, oldest first', schema: s.providerList } },
      handle: async ({ query }, _req, res) => {
        res.json({ items: await d.queries.list(actorOf(res), query.type) });
      },
    });

    routes.route({
      method: 'get',
      path: '/git-providers/:id',
      tag,
      summary: 'One provider',
      params,
      responses: { 200: summary },
      problems: ['NOT_FOUND'],
      handle: async ({ params: { id } }, _req, res) => {
        const found = await d.queries.get(actorOf(res), id);
        if (!found) throw new FailureError(failure.notFound('Git provider'));
        res.json(found);
      },
    });

    routes.route({
      method: 'post',
      path: '/git-providers/github',
      tag,
      summary: 'Add a GitHub App (owners and admins)',
      body: s.githubCreate,
      responses: { 201: summary },
      problems: ['UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ body: b }, _req, res) => {
        const settings: ProviderSettings = {
          type: 'github',
          githubUrl: b.githubUrl,
          internalUrl: b.internalUrl,
          appId: b.appId,
          installationId: b.installationId,
          clientId: b.clientId,
        };
        await this.created(res, 'github', {
          name: b.name,
          settings: strip(settings),
          secrets: secrets({ privateKey: b.privateKey, webhookSecret: b.webhookSecret, clientSecret: b.clientSecret }),
        });
      },
    });

    routes.route({
      method: 'post',
      path: '/git-providers/github/manifest',
      tag,
      summary: 'Start creating a GitHub App from a manifest (owners and admins)',
      body: s.githubManifest,
      responses: { 201: { description: 'What the browser posts to GitHub', schema: s.manifestStarted } },
      problems: ['UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ body }, _req, res) => {
        res.status(201).json(unwrap(await d.github.startManifest(actorOf(res), body)));
      },
    });

    routes.route({
      method: 'post',
      path: '/git-providers/gitlab',
      tag,
      summary: 'Add a GitLab OAuth application (owners and admins)',
      body: s.gitlabCreate,
      responses: {
        201: { description: 'The provider and where to send the browser to authorise it', schema: s.providerCreatedWithAuthorize },
      },
      problems: ['UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ body: b }, _req, res) => {
        const settings: ProviderSettings = {
          type: 'gitlab',
          gitlabUrl: b.gitlabUrl,
          internalUrl: b.internalUrl,
          applicationId: b.applicationId,
          redirectUri: b.redirectUri ?? d.urls.callbackUrl('gitlab'),
          groupName: b.groupName,
        };
        await this.created(res, 'gitlab', { name: b.name, settings: strip(settings), secrets: secrets({ clientSecret: b.secret }) });
      },
    });

    routes.route({
      method: 'post',
      path: '/git-providers/bitbucket',
      tag,
      summary: 'Add a Bitbucket Cloud workspace (owners and admins)',
      body: s.bitbucketCreate,
      responses: { 201: summary },
      problems: ['UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ body: b }, _req, res) => {
        const settings: ProviderSettings = {
          type: 'bitbucket',
          username: b.username,
          email: b.email,
          workspace: b.workspace,
          authMethod: b.apiToken ? 'api_token' : 'app_password',
        };
        await this.created(res, 'bitbucket', {
          name: b.name,
          settings: strip(settings),
          secrets: secrets({ apiToken: b.apiToken, appPassword: b.appPassword }),
        });
      },
    });

    routes.route({
      method: 'post',
      path: '/git-providers/gitea',
      tag,
      summary: 'Add a Gitea/Forgejo OAuth2 application (owners and admins)',
      body: s.giteaCreate,
      responses: {
        201: { description: 'The provider and where to send the browser to authorise it', schema: s.providerCreatedWithAuthorize },
      },
      problems: ['UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ body: b }, _req, res) => {
        const settings: ProviderSettings = {
          type: 'gitea',
          giteaUrl: b.giteaUrl,
          internalUrl: b.internalUrl,
          clientId: b.clientId,
          redirectUri: b.redirectUri ?? d.urls.callbackUrl('gitea'),
        };
        await this.created(res, 'gitea', { name: b.name, settings: strip(settings), secrets: secrets({ clientSecret: b.clientSecret }) });
      },
    });

    const updated = { responses: { 200: summary }, problems: ['NOT_FOUND', 'UNAUTHORIZED', 'CONFLICT'] as const, tag, params };

    routes.route({
      ...updated,
      method: 'patch',
      path: '/git-providers/:id/github',
      summary: 'Change a GitHub provider (the seed’s github.update); a new address drops the secrets sent to the old one',
      body: s.githubUpdate,
      handle: async ({ params: { id }, body: b }, _req, res) => {
        const change: ProviderChange<'github'> = {
          name: b.name,
          settings: {
            ...strip({ githubUrl: b.githubUrl, appId: b.appId, installationId: b.installationId, clientId: b.clientId }),
            ...internal(b.internalUrl),
          },
          secrets: secrets({ privateKey: b.privateKey, webhookSecret: b.webhookSecret, clientSecret: b.clientSecret }),
        };
        await this.updated(res, id, 'github', change, b.expectedVersion);
      },
    });

    routes.route({
      ...updated,
      method: 'patch',
      path: '/git-providers/:id/gitlab',
      summary: 'Change a GitLab provider; a new address drops the tokens and client secret',
      body: s.gitlabUpdate,
      handle: async ({ params: { id }, body: b }, _req, res) => {
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
      },
    });

    routes.route({
      ...updated,
      method: 'patch',
      path: '/git-providers/:id/bitbucket',
      summary: 'Change a Bitbucket Cloud provider; switching method drops the other credential',
      body: s.bitbucketUpdate,
      handle: async ({ params: { id }, body: b }, _req, res) => {
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
      },
    });

    routes.route({
      ...updated,
      method: 'patch',
      path: '/git-providers/:id/gitea',
      summary: 'Change a Gitea/Forgejo provider; a new address drops the tokens and client secret',
      body: s.giteaUpdate,
      handle: async ({ params: { id }, body: b }, _req, res) => {
        const change: ProviderChange<'gitea'> = {
          name: b.name,
          settings: { ...strip({ giteaUrl: b.giteaUrl, clientId: b.clientId, redirectUri: b.redirectUri }), ...internal(b.internalUrl) },
          secrets: secrets({ clientSecret: b.clientSecret }),
        };
        await this.updated(res, id, 'gitea', change, b.expectedVersion);
      },
    });

    routes.route({
      method: 'put',
      path: '/git-providers/:id/sharing',
      tag,
      summary: 'Share the provider with the whole organisation, or stop (the creator only)',
      params,
      body: s.sharingBody,
      responses: { 200: summary },
      problems: ['NOT_FOUND', 'UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ params: { id }, body }, _req, res) => {
        const actor = actorOf(res);
        const provider = unwrap(await d.sharing.execute(actor, id, body.sharedWithOrganization));
        res.json(await this.summaryOf(actor, provider));
      },
    });

    routes.route({
      method: 'delete',
      path: '/git-providers/:id',
      tag,
      summary: 'Remove the provider; every service using it is disconnected in the same transaction',
      params,
      responses: { 204: { description: 'Removed' } },
      problems: ['NOT_FOUND', 'UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ params: { id } }, _req, res) => {
        unwrap(await d.remove.execute(actorOf(res), id));
        res.status(204).end();
      },
    });

    routes.route({
      method: 'get',
      path: '/git-providers/:id/authorize-url',
      tag,
      summary: 'Where to send the browser to (re-)authorise a GitLab or Gitea provider',
      params,
      responses: { 200: { description: 'The forge’s consent page with a signed, single-use state', schema: s.authorizeUrlAnswer } },
      problems: ['NOT_FOUND', 'UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ params: { id } }, _req, res) => {
        res.json({ authorizeUrl: unwrap(await d.oauth.authorizeUrlFor(actorOf(res), id)) });
      },
    });

    routes.route({
      method: 'post',
      path: '/git-providers/:id/test-connection',
      tag,
      summary: 'List the repositories once to prove the credentials work (the seed’s testConnection)',
      params,
      responses: { 200: { description: '"Found N repositories"', schema: s.connectionTested } },
      problems: ['NOT_FOUND', ...FORGE_PROBLEMS],
      handle: async ({ params: { id } }, _req, res) => {
        res.json(unwrap(await d.forge.testConnection(actorOf(res), id)));
      },
    });

    routes.route({
      method: 'get',
      path: '/git-providers/:id/repositories',
      tag,
      summary: 'The repositories the provider’s credentials reach (served from a cache at most 60 s old; `refresh=true` asks the forge)',
      params,
      query: s.repositoriesQuery,
      responses: { 200: { description: 'A page of repositories (all of them without `page`)', schema: s.repositoryPage } },
      problems: ['NOT_FOUND', ...FORGE_PROBLEMS],
      handle: async ({ params: { id }, query }, _req, res) => {
        res.json(unwrap(await d.forge.repositories(actorOf(res), id, { ...query, refresh: query.refresh === 'true' })));
      },
    });

    routes.route({
      method: 'get',
      path: '/git-providers/:id/branches',
      tag,
      summary: 'The branches of one repository',
      params,
      query: s.branchesQuery,
      responses: { 200: { description: 'A page of branches', schema: s.branchPage } },
      problems: ['NOT_FOUND', ...FORGE_PROBLEMS],
      handle: async ({ params: { id }, query }, _req, res) => {
        res.json(unwrap(await d.forge.branches(actorOf(res), id, query.repository, query)));
      },
    });
  }

  private async created(
    res: Response,
    type: ProviderType,
    command: { name: string; settings: ProviderSettings; secrets: ProviderSecrets },
  ): Promise<void> {
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
