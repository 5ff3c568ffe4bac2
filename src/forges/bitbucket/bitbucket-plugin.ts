import { type ForgeIdentity, repositoryAfter } from '../shared/forge-http.js';
import { z } from 'zod';
import { type ProviderKind, type ProviderSettings } from '../../modules/git-providers/domain/git-provider.js';
import { type ForgePlugin } from '../forge-plugin.js';
import { expectedVersion, providerName, secretInput, secretsOf, settingsOf, strip } from '../shared/forms.js';
import { createBitbucketApi } from './bitbucket-api.js';
import { bitbucketWebhooks } from './bitbucket-webhooks.js';

export const BITBUCKET: ForgeIdentity = {
  type: 'bitbucket',
  label: 'Bitbucket Cloud',
  refusals: {
    missingScope:
      'The API token lacks a scope forgelink needs (repository read, webhook read/write): create a token with them and PATCH apiToken.',
    otherwise: "Check the credentials' permissions on the forge, then PATCH the provider.",
    resourceOf: repositoryAfter('repositories'),
  },
};

/** A Bitbucket Cloud workspace reached with an API token (or a deprecated app password). */
export interface BitbucketSettings extends ProviderSettings {
  readonly type: 'bitbucket';
  readonly username: string;
  readonly email?: string;
  readonly workspace: string;
  readonly authMethod: 'api_token' | 'app_password';
}
const bitbucket = (settings: ProviderSettings): BitbucketSettings => settings as BitbucketSettings;

const kind: ProviderKind = {
  type: BITBUCKET.type,
  // Bitbucket Cloud's API address is the server's configuration (BITBUCKET_API_URL), never the caller's.
  addressFields: [],
  outboundSecrets: ['apiToken', 'appPassword'],
  learnedFromAddress: [],
  status: () => 'ready',
};

const bitbucketBase = {
  name: providerName,
  username: z.string().trim().min(1).max(200),
  email: z.email().optional(),
  workspace: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be a workspace slug'),
  apiToken: secretInput.optional(),
  appPassword: secretInput.optional(),
};
// The credential rule: one method at a time; an API token is Basic `email:token`, so it needs the email.
const bitbucketCreate = z
  .object(bitbucketBase)
  .refine((b) => (b.apiToken === undefined) !== (b.appPassword === undefined), {
    message: 'give exactly one of apiToken (preferred) or appPassword',
    path: ['apiToken'],
  })
  .refine((b) => b.apiToken === undefined || b.email !== undefined, {
    message: 'email is required with an API token (Basic auth is email:token)',
    path: ['email'],
  });
const bitbucketUpdate = z
  .object({
    ...bitbucketBase,
    name: providerName.optional(),
    username: bitbucketBase.username.optional(),
    workspace: bitbucketBase.workspace.optional(),
    expectedVersion,
  })
  .refine((b) => b.apiToken === undefined || b.appPassword === undefined, {
    message: 'give at most one of apiToken or appPassword',
    path: ['apiToken'],
  });

/** Bitbucket Cloud (API tokens; app passwords deprecated): docs/forges/bitbucket.md. */
export const bitbucketPlugin: ForgePlugin = {
  name: BITBUCKET,
  summaryKey: 'bitbucket',
  kind,
  forms: {
    create: {
      summary: 'Add a Bitbucket Cloud workspace (owners and admins)',
      body: bitbucketCreate,
      toCommand: (b: z.output<typeof bitbucketCreate>) => ({
        name: b.name,
        settings: settingsOf<BitbucketSettings>({
          type: 'bitbucket',
          username: b.username,
          email: b.email,
          workspace: b.workspace,
          authMethod: b.apiToken ? 'api_token' : 'app_password',
        }),
        secrets: secretsOf({ apiToken: b.apiToken, appPassword: b.appPassword }),
      }),
    },
    update: {
      summary: 'Change a Bitbucket Cloud provider; switching method drops the other credential',
      body: bitbucketUpdate,
      toChange: (b: z.output<typeof bitbucketUpdate>) => {
        const method: 'api_token' | 'app_password' | undefined = b.apiToken ? 'api_token' : b.appPassword ? 'app_password' : undefined;
        return {
          change: {
            name: b.name,
            settings: strip({ username: b.username, email: b.email, workspace: b.workspace, authMethod: method }),
            // Switching method drops the other credential.
            secrets: {
              ...secretsOf({ apiToken: b.apiToken, appPassword: b.appPassword }),
              ...(method === 'api_token' ? { appPassword: null } : method === 'app_password' ? { apiToken: null } : {}),
            },
          },
          expectedVersion: b.expectedVersion,
        };
      },
    },
    summary: z.object({
      username: z.string(),
      email: z.string().optional(),
      workspace: z.string(),
      authMethod: z.enum(['api_token', 'app_password']),
      hasCredentials: z.boolean(),
      deprecatedAuth: z.boolean().describe('true for app passwords, which Atlassian is retiring'),
    }),
    summaryBlock(view) {
      const s = bitbucket(view.settings);
      return {
        username: s.username,
        ...(s.email ? { email: s.email } : {}),
        workspace: s.workspace,
        authMethod: s.authMethod,
        hasCredentials: view.has(s.authMethod === 'api_token' ? 'apiToken' : 'appPassword'),
        deprecatedAuth: s.authMethod === 'app_password',
      };
    },
  },
  connect(provider, tools) {
    const s = bitbucket(provider.settings);
    const auth =
      s.authMethod === 'api_token'
        ? { method: 'api_token' as const, email: s.email ?? s.username, apiToken: provider.secret('apiToken')?.reveal() ?? '' }
        : { method: 'app_password' as const, username: s.username, appPassword: provider.secret('appPassword')?.reveal() ?? '' };
    return createBitbucketApi(tools.http(BITBUCKET, provider.id), {
      apiUrl: tools.bitbucketApiUrl,
      workspace: s.workspace,
      auth,
      cacheScope: `${provider.id}:${provider.version}`,
    });
  },
  hooks: 'repository',
  webhooks: bitbucketWebhooks,
  guidance: {
    missingTarget: (settings) =>
      `Bitbucket has no workspace "${bitbucket(settings).workspace}" these credentials can see: check the workspace slug`,
    notReady: () => 'The provider is not ready',
  },
};
