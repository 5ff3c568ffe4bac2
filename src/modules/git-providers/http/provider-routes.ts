import { type Response } from 'express';
import { failure } from '../../../shared/failure.js';

import { type PublicUrls } from '../../../shared/public-urls.js';
import { type RouteContributor } from '../../../platform/http/app.js';
import { actorOf } from '../../identity/http/actor-of.js';
import { type ApiRouter, refuse, unwrap } from '../../../platform/http/api-routes.js';
import { JsonMemo } from '../../../platform/http/json-memo.js';
import { type Actor } from '../../identity/domain/actor.js';
import { type GitProvider, type ProviderChange, type ProviderSecrets, type ProviderSettings } from '../domain/git-provider.js';
import { type CreateProviderHandler } from '../application/commands/create-provider/create-provider.js';
import { type UpdateProviderHandler } from '../application/commands/update-provider/update-provider.js';
import { type ChangeSharingHandler } from '../application/commands/change-sharing/change-sharing.js';
import { type RemoveProviderHandler } from '../application/commands/remove-provider/remove-provider.js';
import { type ProviderQueries } from '../application/queries/provider-summary.js';
import { type ForgeQueries } from '../application/queries/forge-queries.js';
import { type ProviderAuthorization } from '../application/ports/provider-authorization.js';
import { type ProviderForm } from './provider-forms.js';
import * as s from './schemas.js';

export interface ProviderRouteDeps {
  readonly create: CreateProviderHandler;
  readonly update: UpdateProviderHandler;
  readonly sharing: ChangeSharingHandler;
  readonly remove: RemoveProviderHandler;
  readonly queries: ProviderQueries;
  readonly forge: ForgeQueries;
  readonly authorization: ProviderAuthorization;
  readonly urls: PublicUrls;
  /** Each forge's bodies and summary block, in the registry's order. */
  readonly forms: readonly ProviderForm[];
}

/** The problems of a route that calls the forge. */
const FORGE_PROBLEMS = ['PROVIDER_NOT_READY', 'FORGE_RATE_LIMITED', 'FORGE_ERROR'] as const;

export class ProviderRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly deps: ProviderRouteDeps) {}

  register(routes: ApiRouter): void {
    const d = this.deps;
    const pickerBodies = new JsonMemo();
    const tag = 'Git providers';
    const params = s.providerIdParams;
    const schemas = s.providerSummaries(d.forms);
    const summary = { description: 'The provider (never a secret)', schema: schemas.providerSummary };

    routes.route({
      method: 'get',
      path: '/git-providers',
      tag,
      summary: 'The providers the caller can see',
      query: s.listQueryOf(d.forms.map((form) => form.type)),
      responses: { 200: { description: 'Visible providers, oldest first', schema: schemas.providerList } },
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
        if (!found) refuse(failure.notFound('Git provider'));
        res.json(found);
      },
    });

    const context = { callbackUrl: (path: string) => d.urls.callbackUrl(path) };
    for (const form of d.forms) {
      const created = form.authorizes
        ? {
            description: 'The provider and where to send the browser to authorise it',
            schema: schemas.providerCreatedWithAuthorize ?? schemas.providerSummary,
          }
        : summary;
      routes.route({
        method: 'post',
        path: `/git-providers/${form.type}`,
        tag,
        summary: form.create.summary,
        body: form.create.body,
        responses: { 201: created },
        problems: ['UNAUTHORIZED', 'CONFLICT'],
        handle: async ({ body }, _req, res) => {
          await this.created(res, form, form.create.toCommand(body, context));
        },
      });
    }

    const updated = { responses: { 200: summary }, problems: ['NOT_FOUND', 'UNAUTHORIZED', 'CONFLICT'] as const, tag, params };

    for (const form of d.forms) {
      routes.route({
        ...updated,
        method: 'patch',
        path: `/git-providers/:id/${form.type}`,
        summary: form.update.summary,
        body: form.update.body,
        handle: async ({ params: { id }, body }, _req, res) => {
          const { change, expectedVersion } = form.update.toChange(body);
          await this.updated(res, id, form.type, change, expectedVersion);
        },
      });
    }

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
        res.json({ authorizeUrl: unwrap(await d.authorization.authorizeUrlFor(actorOf(res), id)) });
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
        const answer = unwrap(await d.forge.repositories(actorOf(res), id, { ...query, refresh: query.refresh === 'true' }));
        // The whole list (no search, no paging) is the cached array itself: its JSON and ETag are computed once.
        const whole = query.search === undefined && query.page === undefined && query.perPage === undefined;
        if (whole) pickerBodies.send(res, answer.items, () => answer);
        else res.json(answer);
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
    form: ProviderForm,
    command: { name: string; settings: ProviderSettings; secrets: ProviderSecrets },
  ): Promise<void> {
    const actor = actorOf(res);
    const provider = unwrap(await this.deps.create.execute(actor, command));
    const summary = await this.summaryOf(actor, provider);
    if (form.authorizes) {
      res.status(201).json({ ...summary, authorizeUrl: unwrap(await this.deps.authorization.authorizeUrlFor(actor, provider.id)) });
    } else res.status(201).json(summary);
  }

  private async updated(res: Response, id: string, type: string, change: ProviderChange, expectedVersion?: number): Promise<void> {
    const actor = actorOf(res);
    const provider = unwrap(await this.deps.update.execute(actor, { providerId: id, type, change, expectedVersion }));
    res.json(await this.summaryOf(actor, provider));
  }

  private async summaryOf(actor: Actor, provider: GitProvider): Promise<Record<string, unknown>> {
    const summary = await this.deps.queries.get(actor, provider.id);
    if (!summary) refuse(failure.notFound('Git provider'));
    return summary;
  }
}
