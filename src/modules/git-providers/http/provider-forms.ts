import { type z } from 'zod';
import { type ProviderChange, type ProviderSecrets, type ProviderSettings } from '../domain/git-provider.js';

/** A create body: its schema and the provider it describes. */
export interface CreateForm<B extends z.ZodType = z.ZodType> {
  readonly summary: string;
  readonly body: B;
  toCommand(body: z.output<B>, context: FormContext): { name: string; settings: ProviderSettings; secrets: ProviderSecrets };
}

/** A PATCH body: its schema and the change it asks for. */
export interface UpdateForm<B extends z.ZodType = z.ZodType> {
  readonly summary: string;
  readonly body: B;
  toChange(body: z.output<B>): { change: ProviderChange; expectedVersion?: number };
}

export interface FormContext {
  /** `/v1/callbacks/<path>` on this server (the default redirect URI of an OAuth application). */
  callbackUrl(path: string): string;
}

/**
 * One forge's part of the git-providers HTTP contract: `POST /git-providers/<type>`, `PATCH /git-providers/{id}/<type>`
 * and its summary block `<summaryKey>` — the forge plug-in's forms, listed by the registry.
 */
export interface ProviderForm {
  readonly type: string;
  readonly summaryKey: string;
  readonly create: CreateForm;
  readonly update: UpdateForm;
  /** The summary block's fields, as /openapi.json documents them. */
  readonly summary: z.ZodObject;
  /** OAuth forges answer a create with where to authorise it (`authorizeUrl`). */
  readonly authorizes: boolean;
}
