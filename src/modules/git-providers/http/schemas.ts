import { z } from 'zod';
import { invalidRepositoryPath } from '../../../shared/path-segments.js';
import { type ProviderForm } from './provider-forms.js';

export const providerIdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

/** `?type=` takes the provider types the registry lists. */
export const listQueryOf = (types: readonly string[]) => z.object({ type: z.enum(types as [string, ...string[]]).optional() });
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

/** The summary of each forge's providers: the common fields, `type`, and the forge's block under its key. */
export function providerSummaries(forms: readonly ProviderForm[]) {
  const summaryOf = (form: ProviderForm) => z.object({ ...summaryBase, type: z.literal(form.type), [form.summaryKey]: form.summary });
  const [first, ...rest] = forms.map(summaryOf);
  if (!first) throw new Error('No forge plug-in is registered');
  const providerSummary = z.discriminatedUnion('type', [first, ...rest]).meta({ id: 'GitProviderSummary' });
  const authorizing = forms.filter((form) => form.authorizes).map((form) => summaryOf(form).extend({ authorizeUrl }));
  const [firstAuthorizing, ...otherAuthorizing] = authorizing;
  const providerCreatedWithAuthorize = firstAuthorizing
    ? z.discriminatedUnion('type', [firstAuthorizing, ...otherAuthorizing]).meta({ id: 'GitProviderSummaryWithAuthorizeUrl' })
    : undefined;
  const providerList = z.object({ items: z.array(providerSummary) }).meta({ id: 'GitProviderList' });
  return { providerSummary, providerCreatedWithAuthorize, providerList };
}
const authorizeUrl = z.string().describe('Send the user’s browser here to grant access on the forge');
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
