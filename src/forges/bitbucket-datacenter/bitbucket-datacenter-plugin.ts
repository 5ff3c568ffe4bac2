import { z } from 'zod';
import { type ProviderKind, type ProviderSettings } from '../../modules/git-providers/domain/git-provider.js';
import { type ForgePlugin } from '../forge-plugin.js';
import {
  expectedVersion,
  forgeUrl,
  internalUrlChange,
  internalUrlOut,
  providerName,
  secretInput,
  secretsOf,
  settingsOf,
  strip,
} from '../shared/forms.js';
import { createBitbucketDatacenterApi } from './bitbucket-datacenter-api.js';
import { BITBUCKET_DATACENTER } from './bitbucket-datacenter-name.js';
import { bitbucketDatacenterWebhooks } from './bitbucket-datacenter-webhooks.js';

/** A Bitbucket Data Center server reached with one HTTP access token (contract "Git providers"). */
export interface BitbucketDatacenterSettings extends ProviderSettings {
  readonly type: 'bitbucket-datacenter';
  /** The web address, with its context path if any (https://git.example.com/bitbucket). */
  readonly serverUrl: string;
  readonly internalUrl?: string;
  /** The account the token belongs to: shown, never sent. */
  readonly username?: string;
}
const settingsOfProvider = (settings: ProviderSettings): BitbucketDatacenterSettings => settings as BitbucketDatacenterSettings;

const kind: ProviderKind = {
  type: BITBUCKET_DATACENTER.type,
  // The token never follows a new address: a change of either drops it unless the same request gives it again.
  addressFields: ['serverUrl', 'internalUrl'],
  outboundSecrets: ['token'],
  learnedFromAddress: [],
  // Without a token (dropped by an address change) nothing can be asked: the provider waits for one.
  status: (_settings, has) => (has('token') ? 'ready' : 'pending_authorization'),
};

const username = z.string().trim().min(1).max(200);
const create = z.object({
  name: providerName,
  serverUrl: forgeUrl,
  internalUrl: forgeUrl.optional(),
  username: username.optional(),
  token: secretInput,
});
const update = z.object({
  name: providerName.optional(),
  serverUrl: forgeUrl.optional(),
  internalUrl: forgeUrl.nullable().optional(),
  username: username.nullable().optional(),
  token: secretInput.optional(),
  expectedVersion,
});

/** Bitbucket Data Center (self-hosted Bitbucket, formerly Bitbucket Server): docs/forges/bitbucket-datacenter.md. */
export const bitbucketDatacenterPlugin: ForgePlugin = {
  name: BITBUCKET_DATACENTER,
  summaryKey: 'bitbucketDatacenter',
  kind,
  forms: {
    create: {
      summary: 'Add a Bitbucket Data Center server with an HTTP access token (owners and admins)',
      body: create,
      toCommand: (b: z.output<typeof create>) => ({
        name: b.name,
        settings: settingsOf<BitbucketDatacenterSettings>({
          type: 'bitbucket-datacenter',
          serverUrl: b.serverUrl,
          internalUrl: b.internalUrl,
          username: b.username,
        }),
        secrets: secretsOf({ token: b.token }),
      }),
    },
    update: {
      summary: 'Change a Bitbucket Data Center provider; a new serverUrl or internalUrl drops the token unless it is given again',
      body: update,
      toChange: (b: z.output<typeof update>) => ({
        change: {
          name: b.name,
          settings: {
            ...strip({ serverUrl: b.serverUrl }),
            ...internalUrlChange(b.internalUrl),
            ...(b.username === undefined ? {} : { username: b.username }),
          },
          secrets: secretsOf({ token: b.token }),
        },
        expectedVersion: b.expectedVersion,
      }),
    },
    summary: z.object({
      serverUrl: z.string().describe('The web address, with its context path if any'),
      internalUrl: internalUrlOut,
      username: z.string().optional(),
      hasToken: z.boolean(),
    }),
    summaryBlock(view) {
      const s = settingsOfProvider(view.settings);
      return {
        serverUrl: s.serverUrl,
        ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
        ...(s.username ? { username: s.username } : {}),
        hasToken: view.has('token'),
      };
    },
  },
  connect(provider, tools) {
    const s = settingsOfProvider(provider.settings);
    return createBitbucketDatacenterApi(tools.http(BITBUCKET_DATACENTER, provider.id), {
      serverUrl: s.serverUrl,
      ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
      token: provider.secret('token')?.reveal() ?? '',
      cacheScope: `${provider.id}:${provider.version}`,
    });
  },
  hooks: 'repository',
  webhooks: bitbucketDatacenterWebhooks,
  guidance: {
    missingTarget: (settings) =>
      `Bitbucket Data Center answered 404 at ${settingsOfProvider(settings).internalUrl ?? settingsOfProvider(settings).serverUrl}/rest/api/1.0: check the server URL and its context path (https://host/bitbucket)`,
    notReady: () => 'The provider has no HTTP access token (a new server address dropped it): PATCH token',
  },
};
