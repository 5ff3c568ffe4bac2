import { token } from '../../platform/container.js';
import { type ProviderKinds } from './domain/git-provider.js';
import { type GitProviderRepository } from './domain/git-provider-repository.js';
import { type ForgeConnector } from './application/ports/forge-connector.js';
import { type ForgeUrlPolicy } from './application/ports/forge-url-policy.js';
import { type ForgeCatalog } from './application/ports/forge-catalog.js';
import { type ProviderAuthorization } from './application/ports/provider-authorization.js';
import { type MemberDirectory } from './application/ports/members.js';
import { type RepositoryListCache } from './application/ports/repository-list-cache.js';
import { type StateTokens } from './application/ports/state-tokens.js';
import { type CreateProviderHandler } from './application/commands/create-provider/create-provider.js';
import { type UpdateProviderHandler } from './application/commands/update-provider/update-provider.js';
import { type ChangeSharingHandler } from './application/commands/change-sharing/change-sharing.js';
import {
  type ConnectedSources,
  type RegisteredHooks,
  type RemoveProviderHandler,
} from './application/commands/remove-provider/remove-provider.js';
import { type ProviderQueries } from './application/queries/provider-summary.js';
import { type ForgeQueries } from './application/queries/forge-queries.js';
import { type ForgeCallbacks } from './http/callback-routes.js';
import { type ProviderForm } from './http/provider-forms.js';

/**
 * The git-providers module's container identifiers (ADR 0010): its ports, handlers and queries. The forge ports
 * (Kinds, ForgeConnector, ForgeCatalog, ProviderForms, Authorization, ForgeCallbacks) are bound by the forge plug-ins'
 * module (src/forges/module.ts, ADR 0016).
 */
export const GIT_PROVIDERS = {
  Repository: token<GitProviderRepository>('GitProviderRepository'),
  Kinds: token<ProviderKinds>('ProviderKinds'),
  ForgeConnector: token<ForgeConnector>('ForgeConnector'),
  ForgeCatalog: token<ForgeCatalog>('ForgeCatalog'),
  /** Each forge's create/PATCH bodies and summary block, in the registry's order. */
  ProviderForms: token<readonly ProviderForm[]>('ProviderForms'),
  /** The OAuth forges' consent page for a provider. */
  Authorization: token<ProviderAuthorization>('ProviderAuthorization'),
  /** The forges' browser callbacks (OAuth consent, GitHub App manifest and install). */
  ForgeCallbacks: token<readonly ForgeCallbacks[]>('ForgeCallbacks'),
  /** The SSRF guard every forge request and event-subscription delivery passes (bound by the composition root). */
  UrlPolicy: token<ForgeUrlPolicy>('ForgeUrlPolicy'),
  Members: token<MemberDirectory>('MemberDirectory'),
  RepositoryListCache: token<RepositoryListCache>('RepositoryListCache'),
  StateTokens: token<StateTokens>('StateTokens'),
  /** Implemented by the service-sources module. */
  ConnectedSources: token<ConnectedSources>('ConnectedSources'),
  /** Implemented by the webhooks module (it owns the hooks forgelink registers). */
  RegisteredHooks: token<RegisteredHooks>('RegisteredHooks'),
  CreateProvider: token<CreateProviderHandler>('CreateProviderHandler'),
  UpdateProvider: token<UpdateProviderHandler>('UpdateProviderHandler'),
  ChangeSharing: token<ChangeSharingHandler>('ChangeSharingHandler'),
  RemoveProvider: token<RemoveProviderHandler>('RemoveProviderHandler'),
  ProviderQueries: token<ProviderQueries>('ProviderQueries'),
  ForgeQueries: token<ForgeQueries>('ForgeQueries'),
} as const;
