import { z } from 'zod';
import { httpUrl } from '../../../platform/http/validate.js';
import { invalidRepositoryPath } from '../../../shared/path-segments.js';
import { PROVIDER_TYPES } from '../domain/git-provider.js';

export const providerIdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

const name = z.string().trim().min(1).max(100);
/** A forge base URL: http(s), no credentials, query or fragment; stored without a trailing slash. */
const forgeUrl = httpUrl().transform((value) => value.replace(/\/+$/, ''));
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
const secret = z.string().min(1).max(20_000);
const pem = z
  .string()
  .max(20_000)
  .refine((value) => /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/.test(value), 'must be a PEM private key');
const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const redirectUri = httpUrl({ allowQuery: true });
const expectedVersion = z.number().int().positive().optional();

export const githubCreate = z.object({
  name,
  githubUrl: githubWebUrl.default('https://github.com'),
  internalUrl: githubWebUrl.optional(),
  appId: positiveInt,
  installationId: positiveInt.optional(),
  privateKey: pem,
  webhookSecret: secret,
  clientId: z.string().min(1).max(200).optional(),
  clientSecret: secret.optional(),
});
export const githubUpdate = z.object({
  name: name.optional(),
  githubUrl: githubWebUrl.optional(),
  internalUrl: githubWebUrl.nullable().optional(),
  appId: positiveInt.optional(),
  installationId: positiveInt.optional(),
  privateKey: pem.optional(),
  webhookSecret: secret.optional(),
  clientId: z.string().min(1).max(200).optional(),
  clientSecret: secret.optional(),
  expectedVersion,
});
export const githubManifest = z.object({
  name,
  githubUrl: githubWebUrl.default('https://github.com'),
  internalUrl: githubWebUrl.optional(),
  organization: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a GitHub organisation login')
    .optional(),
});

const groupName = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .regex(/^[^\s]+$/, 'must be a group path such as "acme" or "acme/platform"')
  .transform((v) => v.replace(/^\/+|\/+$/g, ''));
export const gitlabCreate = z.object({
  name,
  gitlabUrl: forgeUrl.default('https://gitlab.com'),
  internalUrl: forgeUrl.optional(),
  applicationId: z.string().trim().min(1).max(200),
  secret,
  redirectUri: redirectUri.optional(),
  groupName: groupName.optional(),
});
export const gitlabUpdate = z.object({
  name: name.optional(),
  gitlabUrl: forgeUrl.optional(),
  internalUrl: forgeUrl.nullable().optional(),
  applicationId: z.string().trim().min(1).max(200).optional(),
  secret: secret.optional(),
  redirectUri: redirectUri.optional(),
  groupName: groupName.nullable().optional(),
  expectedVersion,
});

const bitbucketBase = {
  name,
  username: z.string().trim().min(1).max(200),
  email: z.email().optional(),
  workspace: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be a workspace slug'),
  apiToken: secret.optional(),
  appPassword: secret.optional(),
};
export const bitbucketCreate = z
  .object(bitbucketBase)
  .refine((b) => (b.apiToken === undefined) !== (b.appPassword === undefined), {
    message: 'give exactly one of apiToken (preferred) or appPassword',
    path: ['apiToken'],
  })
  .refine((b) => b.apiToken === undefined || b.email !== undefined, {
    message: 'email is required with an API token (Basic auth is email:token)',
    path: ['email'],
  });
export const bitbucketUpdate = z
  .object({
    ...bitbucketBase,
    name: name.optional(),
    username: bitbucketBase.username.optional(),
    workspace: bitbucketBase.workspace.optional(),
    expectedVersion,
  })
  .refine((b) => b.apiToken === undefined || b.appPassword === undefined, {
    message: 'give at most one of apiToken or appPassword',
    path: ['apiToken'],
  });

export const giteaCreate = z.object({
  name,
  giteaUrl: forgeUrl,
  internalUrl: forgeUrl.optional(),
  clientId: z.string().trim().min(1).max(200),
  clientSecret: secret,
  redirectUri: redirectUri.optional(),
});
export const giteaUpdate = z.object({
  name: name.optional(),
  giteaUrl: forgeUrl.optional(),
  internalUrl: forgeUrl.nullable().optional(),
  clientId: z.string().trim().min(1).max(200).optional(),
  clientSecret: secret.optional(),
  redirectUri: redirectUri.optional(),
  expectedVersion,
});

export const listQuery = z.object({ type: z.enum(PROVIDER_TYPES).optional() });
export const sharingBody = z.object({ sharedWithOrganization: z.boolean() });

const pageNumber = z.coerce.number().int().min(1).max(100_000);
const listQueryBase = z.object({
  search: z.string().max(200).optional(),
  page: pageNumber.optional(),
  perPage: z.coerce.number().int().min(1).max(1000).optional(),
});
/** `refresh=true` bypasses the picker cache (contract "Git providers"). */
export const repositoriesQuery = listQueryBase.extend({
  refresh: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .optional()
    .describe('`true`: list from the forge now instead of the cache'),
});
export const branchesQuery = listQueryBase.extend({
  repository: z
    .string()
    .min(3)
    .max(500)
    .superRefine((value, ctx) => {
      const problem = invalidRepositoryPath(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
});

// ── Answers (documented in /openapi.json; never a secret: `has*` booleans stand in for them) ──

const summaryBase = {
  id: z.uuid(),
  name: z.string(),
  organizationId: z.uuid(),
  createdBy: z.string().describe('The creator’s user id'),
  isCreator: z.boolean(),
  sharedWithOrganization: z.boolean(),
  createdAt: z.iso.datetime(),
  status: z.enum(['ready', 'pending_installation', 'pending_authorization', 'needs_reauthorization']),
  version: z.number().int().describe('Send as `expectedVersion` to refuse a stale update (409)'),
};
const internalUrlOut = z.string().optional().describe('Where forgelink reaches the forge when it differs from the web address');
const githubSummary = z.object({
  ...summaryBase,
  type: z.literal('github'),
  github: z.object({
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
  }),
});
const gitlabSummary = z.object({
  ...summaryBase,
  type: z.literal('gitlab'),
  gitlab: z.object({
    gitlabUrl: z.string(),
    internalUrl: internalUrlOut,
    applicationId: z.string(),
    redirectUri: z.string().describe('Enter this as the GitLab application’s callback URL'),
    groupName: z.string().optional(),
    hasSecret: z.boolean(),
    hasTokens: z.boolean(),
    tokenExpiresAt: z.iso.datetime().optional(),
  }),
});
const bitbucketSummary = z.object({
  ...summaryBase,
  type: z.literal('bitbucket'),
  bitbucket: z.object({
    username: z.string(),
    email: z.string().optional(),
    workspace: z.string(),
    authMethod: z.enum(['api_token', 'app_password']),
    hasCredentials: z.boolean(),
    deprecatedAuth: z.boolean().describe('true for app passwords, which Atlassian is retiring'),
  }),
});
const giteaSummary = z.object({
  ...summaryBase,
  type: z.literal('gitea'),
  gitea: z.object({
    giteaUrl: z.string(),
    internalUrl: internalUrlOut,
    clientId: z.string(),
    redirectUri: z.string().describe('Enter this as the OAuth2 application’s redirect URI'),
    hasClientSecret: z.boolean(),
    hasTokens: z.boolean(),
    tokenExpiresAt: z.iso.datetime().optional(),
  }),
});
export const providerSummary = z
  .discriminatedUnion('type', [githubSummary, gitlabSummary, bitbucketSummary, giteaSummary])
  .meta({ id: 'GitProviderSummary' });
const authorizeUrl = z.string().describe('Send the user’s browser here to grant access on the forge');
export const providerCreatedWithAuthorize = z
  .discriminatedUnion('type', [gitlabSummary.extend({ authorizeUrl }), giteaSummary.extend({ authorizeUrl })])
  .meta({ id: 'GitProviderSummaryWithAuthorizeUrl' });
export const providerList = z.object({ items: z.array(providerSummary) }).meta({ id: 'GitProviderList' });
export const manifestStarted = z
  .object({
    providerId: z.uuid(),
    postUrl: z.string().describe('POST the manifest here from the browser (form field `manifest`, JSON-encoded)'),
    manifest: z.record(z.string(), z.unknown()),
    state: z.string(),
  })
  .meta({ id: 'GitHubManifestStarted' });
export const authorizeUrlAnswer = z.object({ authorizeUrl }).meta({ id: 'AuthorizeUrl' });
export const connectionTested = z
  .object({ ok: z.literal(true), repositoryCount: z.number().int().nonnegative(), message: z.string() })
  .meta({ id: 'ConnectionTested' });
const repository = z
  .object({
    id: z.string().describe('The forge’s id, as a string'),
    fullName: z.string().describe('`owner/name`; GitLab subgroups keep every segment; Bitbucket Data Center `PROJECT/slug`'),
    owner: z.string(),
    name: z.string(),
    defaultBranch: z.string(),
    private: z.boolean(),
    htmlUrl: z.string(),
    cloneUrl: z.string(),
  })
  .meta({ id: 'Repository' });
export const repositoryPage = z
  .object({ items: z.array(repository), total: z.number().int().nonnegative() })
  .meta({ id: 'RepositoryPage' });
const branch = z.object({ name: z.string(), commitSha: z.string(), protected: z.boolean().optional() }).meta({ id: 'Branch' });
export const branchPage = z.object({ items: z.array(branch), total: z.number().int().nonnegative() }).meta({ id: 'BranchPage' });
