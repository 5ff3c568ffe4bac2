import { z } from 'zod';
import { Secret } from '../../shared/secret.js';
import { httpUrl } from '../../platform/http/validate.js';
import { type ProviderSecrets, type ProviderSettings } from '../../modules/git-providers/domain/git-provider.js';
import { type SecretInputs } from '../forge-plugin.js';

/** The pieces every forge's request bodies are made of (contract "Git providers"). */
export const providerName = z.string().trim().min(1).max(100);
/** A forge base URL: http(s), no credentials, query or fragment; stored without a trailing slash. */
export const forgeUrl = httpUrl().transform((value) => value.replace(/\/+$/, ''));
export const secretInput = z.string().min(1).max(20_000);
export const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const redirectUriInput = httpUrl({ allowQuery: true });
export const expectedVersion = z.number().int().positive().optional();
export const internalUrlOut = z.string().optional().describe('Where forgelink reaches the forge when it differs from the web address');

/** The secrets a body gives, as Secrets; absent ones are left out. */
export const secretsOf = (entries: SecretInputs): ProviderSecrets =>
  Object.fromEntries(
    Object.entries(entries)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Secret.of(v as string)]),
  );

/** PATCH: a string sets the internal URL, null removes it, absent keeps it. */
export const internalUrlChange = (value: string | null | undefined): { internalUrl?: string | null } =>
  value === undefined ? {} : { internalUrl: value };

export function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Settings as a create body gives them: absent fields are left out. */
export const settingsOf = <S extends ProviderSettings>(settings: S): S => strip(settings);

/** The URL forgelink's own requests go to: the internal URL when one is set, else the public one. */
export function serverUrl(settings: ProviderSettings, publicUrl: string): string {
  return settings.internalUrl ?? publicUrl;
}
