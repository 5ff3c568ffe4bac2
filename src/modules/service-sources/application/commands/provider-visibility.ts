import { type Actor } from '../../../identity/domain/actor.js';
import { type GitProviderRepository } from '../../../git-providers/domain/git-provider-repository.js';
import { type ServiceSource } from '../../domain/service-source.js';

/**
 * A source connected to a provider the caller may not see answers as if it did not exist (404), exactly like the
 * provider itself: reading, disconnecting or reporting on it would reveal or change a private provider's link.
 * A disconnected source (no provider) is the organisation's.
 */
export async function canSeeProviderOf(providers: GitProviderRepository, source: ServiceSource, actor: Actor): Promise<boolean> {
  if (!source.providerId) return true;
  const provider = await providers.findById(source.providerId);
  return !provider || provider.isVisibleTo(actor);
}
