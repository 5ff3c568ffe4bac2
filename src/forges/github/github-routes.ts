import { z } from 'zod';

import { type RouteContributor } from '../../platform/http/app.js';
import { actorOf } from '../../modules/identity/http/actor-of.js';
import { type ApiRouter, unwrap } from '../../platform/http/api-routes.js';
import { type CallbackFinish, callbackRedirect, type ForgeCallbacks } from '../../modules/git-providers/http/callback-routes.js';
import { githubManifest } from './github-forms.js';
import { type GitHubAppFlows } from './github-app-flows.js';

const manifestStarted = z
  .object({
    providerId: z.uuid(),
    postUrl: z.string().describe('POST the manifest here from the browser (form field `manifest`, JSON-encoded)'),
    manifest: z.record(z.string(), z.unknown()),
    state: z.string(),
  })
  .meta({ id: 'GitHubManifestStarted' });

// A missing state is a bad state: checked by the flow (400 INVALID_STATE), not by the schema.
const state = z.string().max(2000).default('');
const installQuery = z.object({ installation_id: z.coerce.number().int().positive(), setup_action: z.string().max(50).optional(), state });
const manifestQuery = z.object({ code: z.string().min(1).max(2000), state });

/** `POST /v1/git-providers/github/manifest`: the start of the GitHub App manifest flow. */
export class GitHubAppRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly flows: GitHubAppFlows) {}

  register(routes: ApiRouter): void {
    routes.route({
      method: 'post',
      path: '/git-providers/github/manifest',
      tag: 'Git providers',
      summary: 'Start creating a GitHub App from a manifest (owners and admins)',
      body: githubManifest,
      responses: { 201: { description: 'What the browser posts to GitHub', schema: manifestStarted } },
      problems: ['UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ body }, _req, res) => {
        res.status(201).json(unwrap(await this.flows.startManifest(actorOf(res), body)));
      },
    });
  }
}

/** GitHub sends the browser back after creating the App from its manifest, and after installing it. */
export class GitHubAppCallbacks implements ForgeCallbacks {
  constructor(private readonly flows: GitHubAppFlows) {}

  register(routes: ApiRouter, finish: CallbackFinish): void {
    routes.route({
      method: 'get',
      path: '/callbacks/github/manifest',
      tag: 'Callbacks',
      summary: 'GitHub returns from the App manifest flow (stores the new App’s id, key and secrets)',
      query: manifestQuery,
      responses: { 302: callbackRedirect },
      problems: ['INVALID_STATE'],
      handle: async ({ query: q }, _req, res) => {
        finish(res, await this.flows.completeManifest(q.code, q.state));
      },
    });

    routes.route({
      method: 'get',
      path: '/callbacks/github/install',
      tag: 'Callbacks',
      summary: 'GitHub returns from the App’s install page (stores the installation id)',
      query: installQuery,
      responses: { 302: callbackRedirect },
      problems: ['INVALID_STATE'],
      handle: async ({ query: q }, _req, res) => {
        finish(res, await this.flows.completeInstall(q.installation_id, q.state));
      },
    });
  }
}
