import { type ConnectedSources } from '../../../../git-providers/application/commands/remove-provider/remove-provider.js';
import { type ServiceSourceRepository } from '../../../domain/service-source-repository.js';

/** A provider's removal disconnects every source using it, in the removal's own transaction (the seed's rule). */
export class DisconnectProviderSources implements ConnectedSources {
  constructor(private readonly sources: ServiceSourceRepository) {}

  async disconnectAllOf(providerId: string): Promise<number> {
    const sources = await this.sources.findConnectedToProvider(providerId);
    for (const source of sources) {
      source.disconnect();
      await this.sources.save(source);
    }
    return sources.length;
  }
}
