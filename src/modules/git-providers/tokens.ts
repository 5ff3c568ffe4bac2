import { token } from '../../platform/container.js';
import { type GitProviderRepository } from './domain/git-provider-repository.js';
import { type ForgeConnector } from './application/ports/forge-connector.js';
import { type ForgeUrlPolicy } from './application/ports/forge-url-policy.js';
import { type GitHubAppLookup } from './application/ports/github-app-lookup.js';
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
import { type RecordInstallationHandler } from './application/commands/github-app/record-installation.js';
import { type OAuthFlows } from './application/commands/oauth/oauth-flows.js';
import { type GitHubAppFlows } from './application/commands/github-app/github-app-flows.js';
import { type ProviderQueries } from './application/queries/provider-summary.js';
import { type ForgeQueries } from './application/queries/forge-queries.js';
import { type UrlGuard } from '../../forges/shared/url-guard.js';

/** The git-providers module's container identifiers (ADR 0010): its ports, handlers and queries. */
export const GIT_PROVIDERS = {
  Repository: token<GitProviderRepository>('GitProviderRepository'),
  ForgeConnector: token<ForgeConnector>('ForgeConnector'),
  /** The SSRF guard every forge request and event-subscription delivery passes. */
  UrlGuard: token<UrlGuard>('UrlGuard'),
  UrlPolicy: token<ForgeUrlPolicy>('ForgeUrlPolicy'),
  GitHubAppLookup: token<GitHubAppLookup>('GitHubAppLookup'),
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
  RecordInstallation: token<RecordInstallationHandler>('RecordInstallationHandler'),
  OAuthFlows: token<OAuthFlows>('OAuthFlows'),
  GitHubAppFlows: token<GitHubAppFlows>('GitHubAppFlows'),
  ProviderQueries: token<ProviderQueries>('ProviderQueries'),
  ForgeQueries: token<ForgeQueries>('ForgeQueries'),
} as const;
