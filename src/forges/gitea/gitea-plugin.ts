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
import { createGiteaApi } from './gitea-api.js';
import { createGiteaOAuth } from './gitea-oauth.js';
import { giteaWebhooks } from './gitea-webhooks.js';

export const GITEA: ForgeIdentity = {
  type: 'gitea',
  label: 'Gitea/Forgejo',
  refusals: {
    missingScope:
      'The OAuth grant lacks a scope forgelink needs (read/write repository): authorise again (GET /v1/git-providers/{id}/authorize-url).',
    otherwise: 'Authorise the provider again (GET /v1/git-providers/{id}/authorize-url) with an account that has access.',
    resourceOf: repositoryAfter('repos'),
  },
};

/** A Gitea or Forgejo OAuth2 application (Codeberg included). */
export interface GiteaSettings extends ProviderSettings, OAuthSettings {
  readonly type: 'gitea';
  readonly giteaUrl: string;
  readonly internalUrl?: string;
  readonly clientId: string;
  readonly redirectUri: string;
}
const gitea = (settings: ProviderSettings): GiteaSettings => settings as GiteaSettings;

const kind: ProviderKind = {
  type: GITEA.type,
  addressFields: ['giteaUrl', 'internalUrl'],
  outboundSecrets: ['accessToken', 'refreshToken', 'clientSecret'],
  learnedFromAddress: [],
  oauthClientField: 'clientId',
  status: (_settings, has) => (has('accessToken') ? 'ready' : 'pending_authorization'),
};

const giteaCreate = z.object({
  name: providerName,
  giteaUrl: forgeUrl,
  internalUrl: forgeUrl.optional(),
  clientId: z.string().trim().min(1).max(200),
  clientSecret: secretInput,
  redirectUri: redirectUriInput.optional(),
});
const giteaUpdate = z.object({
  name: providerName.optional(),
  giteaUrl: forgeUrl.optional(),
  internalUrl: forgeUrl.nullable().optional(),
  clientId: z.string().trim().min(1).max(200).optional(),
  clientSecret: secretInput.optional(),
  redirectUri: redirectUriInput.optional(),
  expectedVersion,
});

/** Gitea and Forgejo (one adapter: Forgejo keeps Gitea's API and sends both header families): docs/forges/gitea.md. */
export const giteaPlugin: ForgePlugin = {
  name: GITEA,
  summaryKey: 'gitea',
  kind,
  forms: {
    create: {
      summary: 'Add a Gitea/Forgejo OAuth2 application (owners and admins)',
      body: giteaCreate,
      toCommand: (b: z.output<typeof giteaCreate>, context) => ({
        name: b.name,
        settings: settingsOf<GiteaSettings>({
          type: 'gitea',
          giteaUrl: b.giteaUrl,
          internalUrl: b.internalUrl,
          clientId: b.clientId,
          redirectUri: b.redirectUri ?? context.callbackUrl(GITEA.type),
        }),
        secrets: secretsOf({ clientSecret: b.clientSecret }),
      }),
    },
    update: {
      summary: 'Change a Gitea/Forgejo provider; a new address drops the tokens and client secret',
      body: giteaUpdate,
      toChange: (b: z.output<typeof giteaUpdate>) => ({
        change: {
          name: b.name,
          settings: {
            ...strip({ giteaUrl: b.giteaUrl, clientId: b.clientId, redirectUri: b.redirectUri }),
            ...internalUrlChange(b.internalUrl),
          },
          secrets: secretsOf({ clientSecret: b.clientSecret }),
        },
        expectedVersion: b.expectedVersion,
      }),
    },
    summary: z.object({
      giteaUrl: z.string(),
      internalUrl: internalUrlOut,
      clientId: z.string(),
      redirectUri: z.string().describe('Enter this as the OAuth2 application’s redirect URI'),
      hasClientSecret: z.boolean(),
      hasTokens: z.boolean(),
      tokenExpiresAt: z.iso.datetime().optional(),
    }),
    summaryBlock(view) {
      const s = gitea(view.settings);
      return {
        giteaUrl: s.giteaUrl,
        ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
        clientId: s.clientId,
        redirectUri: s.redirectUri,
        hasClientSecret: view.has('clientSecret'),
        hasTokens: view.has('accessToken'),
        ...(s.tokenExpiresAt ? { tokenExpiresAt: s.tokenExpiresAt } : {}),
      };
    },
  },
  connect(provider, tools) {
    const s = gitea(provider.settings);
    return tools.oauthApi(provider, (accessToken) =>
      createGiteaApi(tools.http(GITEA, provider.id), {
        giteaUrl: serverUrl(s, s.giteaUrl),
        accessToken,
        cacheScope: `${provider.id}:${provider.version}`,
      }),
    );
  },
  hooks: 'repository',
  webhooks: giteaWebhooks,
  guidance: {
    missingTarget: () => "The Gitea server answered 404 to the repository listing: check the provider's URL",
    notReady: () => 'The provider has no OAuth tokens yet: open its authorizeUrl and authorise forgelink',
  },
  oauth: {
    client: (http, url) => createGiteaOAuth(http, url),
    publicUrl: (settings) => gitea(settings).giteaUrl,
  },
};
