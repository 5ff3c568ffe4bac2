import { z } from 'zod';
import { type ForgeForms } from '../forge-plugin.js';
import {
  expectedVersion,
  forgeUrl,
  internalUrlChange,
  internalUrlOut,
  positiveInt,
  providerName,
  secretInput,
  secretsOf,
  settingsOf,
  strip,
} from '../shared/forms.js';
import { type GitHubSettings, githubSettings } from './github-settings.js';
import { installUrl } from './github-manifest.js';

/**
 * GitHub's web address: forgelink derives the API base from it (api.github.com, api.<x>.ghe.com, <url>/api/v3), so
 * the API address pasted here would double the path (gocd github-oauth plugin#18) — refused, saying what to enter.
 */
const githubWebUrl = forgeUrl.refine((value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return !/\/api\/v3$/i.test(url.pathname.replace(/\/+$/, '')) && !url.hostname.toLowerCase().startsWith('api.');
}, 'is the API address: enter the web address you open in a browser (e.g. https://github.example.com); forgelink derives the API address from it');
const pem = z
  .string()
  .max(20_000)
  .refine((value) => /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/.test(value), 'must be a PEM private key');

const githubCreate = z.object({
  name: providerName,
  githubUrl: githubWebUrl.default('https://github.com'),
  internalUrl: githubWebUrl.optional(),
  appId: positiveInt,
  installationId: positiveInt.optional(),
  privateKey: pem,
  webhookSecret: secretInput,
  clientId: z.string().min(1).max(200).optional(),
  clientSecret: secretInput.optional(),
});
const githubUpdate = z.object({
  name: providerName.optional(),
  githubUrl: githubWebUrl.optional(),
  internalUrl: githubWebUrl.nullable().optional(),
  appId: positiveInt.optional(),
  installationId: positiveInt.optional(),
  privateKey: pem.optional(),
  webhookSecret: secretInput.optional(),
  clientId: z.string().min(1).max(200).optional(),
  clientSecret: secretInput.optional(),
  expectedVersion,
});
export const githubManifest = z.object({
  name: providerName,
  githubUrl: githubWebUrl.default('https://github.com'),
  internalUrl: githubWebUrl.optional(),
  organization: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a GitHub organisation login')
    .optional(),
});

const githubSummary = z.object({
  githubUrl: z.string(),
  internalUrl: internalUrlOut,
  appId: z.number().int().optional().describe('Absent until the manifest flow has created the App'),
  appSlug: z.string().optional(),
  installationId: z.number().int().optional(),
  clientId: z.string().optional(),
  webhookUrl: z.string().describe('Enter this as the GitHub App’s webhook URL'),
  installUrl: z.string().optional().describe('The App’s install page with a signed `state`'),
  hasPrivateKey: z.boolean(),
  hasWebhookSecret: z.boolean(),
  hasClientSecret: z.boolean(),
});

export const githubForms: ForgeForms = {
  create: {
    summary: 'Add a GitHub App (owners and admins)',
    body: githubCreate,
    toCommand: (b: z.output<typeof githubCreate>) => ({
      name: b.name,
      settings: settingsOf<GitHubSettings>({
        type: 'github',
        githubUrl: b.githubUrl,
        internalUrl: b.internalUrl,
        appId: b.appId,
        installationId: b.installationId,
        clientId: b.clientId,
      }),
      secrets: secretsOf({ privateKey: b.privateKey, webhookSecret: b.webhookSecret, clientSecret: b.clientSecret }),
    }),
  },
  update: {
    summary: 'Change a GitHub provider (the seed’s github.update); a new address drops the secrets sent to the old one',
    body: githubUpdate,
    toChange: (b: z.output<typeof githubUpdate>) => ({
      change: {
        name: b.name,
        settings: {
          ...strip({ githubUrl: b.githubUrl, appId: b.appId, installationId: b.installationId, clientId: b.clientId }),
          ...internalUrlChange(b.internalUrl),
        },
        secrets: secretsOf({ privateKey: b.privateKey, webhookSecret: b.webhookSecret, clientSecret: b.clientSecret }),
      },
      expectedVersion: b.expectedVersion,
    }),
  },
  summary: githubSummary,
  summaryBlock(view, context) {
    const s = githubSettings(view.settings);
    const state = (): string =>
      context.states.issue({
        purpose: 'github-install',
        providerId: view.id,
        userId: context.actor.userId,
        organizationId: view.organizationId,
      });
    return {
      githubUrl: s.githubUrl,
      ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
      // Absent (not null) until the manifest flow has created the app: appId is always an integer when present.
      ...(s.appId !== undefined ? { appId: s.appId } : {}),
      ...(s.appSlug ? { appSlug: s.appSlug } : {}),
      ...(s.installationId !== undefined ? { installationId: s.installationId } : {}),
      ...(s.clientId ? { clientId: s.clientId } : {}),
      webhookUrl: context.webhookUrl(view.id),
      ...(s.appHtmlUrl ? { installUrl: installUrl(s.appHtmlUrl, state()) } : {}),
      hasPrivateKey: view.has('privateKey'),
      hasWebhookSecret: view.has('webhookSecret'),
      hasClientSecret: view.has('clientSecret'),
    };
  },
};
