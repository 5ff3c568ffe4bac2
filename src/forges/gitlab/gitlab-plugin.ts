import { type ForgeIdentity, repositoryAfter } from '../shared/forge-http.js';
import { z } from 'zod';
import { type ProviderKind, type ProviderSettings } from '../../modules/git-providers/domain/git-provider.js';
import { type ForgePlugin } from '../forge-plugin.js';
import {
  expectedVersion,
  forgeUrl,
  internalUrlChange,
  internalUrlOut,
  providerName,
  redirectUriInput,
  secretInput,
  secretsOf,
  serverUrl,
  settingsOf,
  strip,
} from '../shared/forms.js';
import { type OAuthSettings } from '../shared/oauth/oauth-tokens.js';
import { createGitLabApi } from './gitlab-api.js';
import { createGitLabOAuth } from './gitlab-oauth.js';
import { gitlabWebhooks } from './gitlab-webhooks.js';

export const GITLAB: ForgeIdentity = {
  type: 'gitlab',
  label: 'GitLab',
  refusals: {
    missingScope: 'The OAuth grant lacks a scope forgelink needs (api): authorise again (GET /v1/git-providers/{id}/authorize-url).',
    otherwise: 'Authorise the provider again (GET /v1/git-providers/{id}/authorize-url) with an account that has access.',
    // A project is addressed by its id or its URL-encoded path: one segment.
    resourceOf: repositoryAfter('projects', 'project', 1),
  },
};

/** A GitLab OAuth application (gitlab.com or self-managed). */
export interface GitLabSettings extends ProviderSettings, OAuthSettings {
  readonly type: 'gitlab';
  readonly gitlabUrl: string;
  readonly internalUrl?: string;
  readonly applicationId: string;
  readonly redirectUri: string;
  readonly groupName?: string;
}
const gitlab = (settings: ProviderSettings): GitLabSettings => settings as GitLabSettings;

const kind: ProviderKind = {
  type: GITLAB.type,
  addressFields: ['gitlabUrl', 'internalUrl'],
  outboundSecrets: ['accessToken', 'refreshToken', 'clientSecret'],
  learnedFromAddress: [],
  oauthClientField: 'applicationId',
  status: (_settings, has) => (has('accessToken') ? 'ready' : 'pending_authorization'),
};

const groupName = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .regex(/^[^\s]+$/, 'must be a group path such as "acme" or "acme/platform"')
  .transform((v) => v.replace(/^\/+|\/+$/g, ''));
const gitlabCreate = z.object({
  name: providerName,
  gitlabUrl: forgeUrl.default('https://gitlab.com'),
  internalUrl: forgeUrl.optional(),
  applicationId: z.string().trim().min(1).max(200),
  secret: secretInput,
  redirectUri: redirectUriInput.optional(),
  groupName: groupName.optional(),
});
const gitlabUpdate = z.object({
  name: providerName.optional(),
  gitlabUrl: forgeUrl.optional(),
  internalUrl: forgeUrl.nullable().optional(),
  applicationId: z.string().trim().min(1).max(200).optional(),
  secret: secretInput.optional(),
  redirectUri: redirectUriInput.optional(),
  groupName: groupName.nullable().optional(),
  expectedVersion,
});

/** GitLab (OAuth application, tokens refreshed under a row lock): docs/forges/gitlab.md. */
export const gitlabPlugin: ForgePlugin = {
  name: GITLAB,
  summaryKey: 'gitlab',
  kind,
  forms: {
    create: {
      summary: 'Add a GitLab OAuth application (owners and admins)',
      body: gitlabCreate,
      toCommand: (b: z.output<typeof gitlabCreate>, context) => ({
        name: b.name,
        settings: settingsOf<GitLabSettings>({
          type: 'gitlab',
          gitlabUrl: b.gitlabUrl,
          internalUrl: b.internalUrl,
          applicationId: b.applicationId,
          redirectUri: b.redirectUri ?? context.callbackUrl(GITLAB.type),
          groupName: b.groupName,
        }),
        secrets: secretsOf({ clientSecret: b.secret }),
      }),
    },
    update: {
      summary: 'Change a GitLab provider; a new address drops the tokens and client secret',
      body: gitlabUpdate,
      toChange: (b: z.output<typeof gitlabUpdate>) => ({
        change: {
          name: b.name,
          settings: {
            ...strip({ gitlabUrl: b.gitlabUrl, applicationId: b.applicationId, redirectUri: b.redirectUri }),
            ...(b.groupName !== undefined ? { groupName: b.groupName } : {}),
            ...internalUrlChange(b.internalUrl),
          },
          secrets: secretsOf({ clientSecret: b.secret }),
        },
        expectedVersion: b.expectedVersion,
      }),
    },
    summary: z.object({
      gitlabUrl: z.string(),
      internalUrl: internalUrlOut,
      applicationId: z.string(),
      redirectUri: z.string().describe('Enter this as the GitLab application’s callback URL'),
      groupName: z.string().optional(),
      hasSecret: z.boolean(),
      hasTokens: z.boolean(),
      tokenExpiresAt: z.iso.datetime().optional(),
    }),
    summaryBlock(view) {
      const s = gitlab(view.settings);
      return {
        gitlabUrl: s.gitlabUrl,
        ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
        applicationId: s.applicationId,
        redirectUri: s.redirectUri,
        ...(s.groupName ? { groupName: s.groupName } : {}),
        hasSecret: view.has('clientSecret'),
        hasTokens: view.has('accessToken'),
        ...(s.tokenExpiresAt ? { tokenExpiresAt: s.tokenExpiresAt } : {}),
      };
    },
  },
  connect(provider, tools) {
    const s = gitlab(provider.settings);
    return tools.oauthApi(provider, (accessToken) =>
      createGitLabApi(tools.http(GITLAB, provider.id), {
        gitlabUrl: serverUrl(s, s.gitlabUrl),
        accessToken,
        groupName: s.groupName,
        cacheScope: `${provider.id}:${provider.version}`,
      }),
    );
  },
  hooks: 'repository',
  webhooks: gitlabWebhooks,
  guidance: {
    missingTarget: () => "The GitLab server answered 404 to the repository listing: check the provider's URL",
    notReady: () => 'The provider has no OAuth tokens yet: open its authorizeUrl and authorise forgelink',
  },
  oauth: {
    client: (http, url) => createGitLabOAuth(http, url),
    publicUrl: (settings) => gitlab(settings).gitlabUrl,
  },
};
