import { type PublicUrls } from '../shared/public-urls.js';
import { type UnitOfWork } from '../shared/unit-of-work.js';
import { type RouteContributor } from '../platform/http/app.js';
import { type GitProviderRepository } from '../modules/git-providers/domain/git-provider-repository.js';
import { type ProviderKinds } from '../modules/git-providers/domain/git-provider.js';
import { type ForgeUrlPolicy } from '../modules/git-providers/application/ports/forge-url-policy.js';
import { type MemberDirectory } from '../modules/git-providers/application/ports/members.js';
import { type StateTokens } from '../modules/git-providers/application/ports/state-tokens.js';
import { type ForgeCallbacks } from '../modules/git-providers/http/callback-routes.js';
import { type AppInstallations } from '../modules/webhooks/application/ports/app-installations.js';
import { type ConnectTools } from './forge-plugin.js';

/** What a forge's own use cases are built with: the git-providers module's ports. */
export interface ForgeExtrasDeps {
  readonly uow: UnitOfWork;
  readonly providers: GitProviderRepository;
  readonly kinds: ProviderKinds;
  readonly states: StateTokens;
  readonly urls: PublicUrls;
  readonly policy: ForgeUrlPolicy;
  readonly members: MemberDirectory;
  readonly tools: Omit<ConnectTools, 'oauthApi'>;
}

/** A forge's own use cases, as the modules see them. */
export interface ForgeExtras {
  /** `/v1` routes only this forge has (GitHub: POST /git-providers/github/manifest). */
  readonly routes?: RouteContributor;
  /** Where the forge sends the browser back (registered before the callbacks' 404). */
  readonly callbacks?: ForgeCallbacks;
  /** Installations reported by the forge's app webhook (GitHub Apps). */
  readonly appInstallations?: AppInstallations;
}
