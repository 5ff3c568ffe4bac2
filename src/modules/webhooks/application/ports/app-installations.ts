import { type AppInstallation } from '../../domain/push.js';

/** GitHub App installations reported by the App's webhook (installed or removed on GitHub's own pages). */
export interface AppInstallations {
  /** Applies the change to the provider when it concerns its app; returns the reason recorded with the delivery. */
  apply(providerId: string, change: AppInstallation): Promise<string>;
}
