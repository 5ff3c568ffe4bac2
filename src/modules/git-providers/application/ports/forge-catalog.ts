import { type Actor } from '../../../identity/domain/actor.js';
import {
  type GitProvider,
  type ProviderSecrets,
  type ProviderSettings,
  type SecretName,
  type SettingsChange,
} from '../../domain/git-provider.js';

/** A provider as the read side holds it (no secret: only whether each is set). */
export interface ProviderView {
  readonly id: string;
  readonly organizationId: string;
  readonly settings: ProviderSettings;
  has(secret: SecretName): boolean;
}

/**
 * What the git-providers use cases ask of the forges beyond their API (implemented by the forge plug-ins' registry):
 * each forge's summary block, its guidance when a provider cannot be used yet, and what it tells about itself.
 */
export interface ForgeCatalog {
  /** The provider types forgelink knows, in the registry's order. */
  readonly types: readonly string[];
  /** The summary's forge block: its key (`github`, `bitbucketDatacenter`) and fields (`has*` booleans for secrets). */
  summaryBlock(type: string, view: ProviderView, actor: Actor): { readonly key: string; readonly block: Record<string, unknown> };
  /** The listing answered 404: what the provider points at that does not exist. */
  missingTarget(provider: GitProvider): string;
  /** The provider is pending setup: what to do first. */
  notReady(provider: GitProvider): string;
  /**
   * Settings the forge tells about itself once credentials exist (a GitHub App's slug and page), learnt when a provider
   * is saved; undefined when the forge learns nothing or cannot be asked (never throws).
   */
  learn(settings: ProviderSettings, secrets: ProviderSecrets): Promise<SettingsChange | undefined>;
  /** The settings and secrets whose change makes what was learnt stale (asked again, or dropped). */
  learnsFrom(type: string): readonly string[];
}
