import { EntitySchema } from '@mikro-orm/core';
import { GitProvider } from '../../domain/git-provider.js';
import { encryptedSecretsType } from '../../../../platform/database/encrypted-secrets-type.js';
import { type SecretCipher } from '../../../../platform/crypto/secret-cipher.js';

/** Non-secret per-forge settings as jsonb; every secret in one AES-GCM-encrypted column. */
export const gitProviderSchema = (cipher: SecretCipher): EntitySchema<GitProvider> =>
  new EntitySchema<GitProvider>({
    class: GitProvider,
    tableName: 'git_provider',
    properties: {
      id: { type: 'uuid', primary: true },
      organizationId: { type: 'uuid', fieldName: 'organization_id' },
      createdBy: { type: 'text', fieldName: 'created_by' },
      name: { type: 'text' },
      type: { type: 'text' },
      sharedWithOrganization: { type: 'boolean', fieldName: 'shared_with_organization' },
      status: { type: 'text' },
      settings: { type: 'json', columnType: 'jsonb' },
      secrets: { type: encryptedSecretsType(cipher), fieldName: 'secrets' },
      reauthorizationRequired: { type: 'boolean', fieldName: 'reauthorization_required' },
      createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
      updatedAt: { type: 'Date', fieldName: 'updated_at', columnType: 'timestamptz' },
      version: { type: 'integer', version: true },
    },
  });
