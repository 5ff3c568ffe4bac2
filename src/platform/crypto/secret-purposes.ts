/**
 * The purposes (AES-GCM associated data) of secrets stored outside an aggregate's encrypted column, shared by the
 * module that writes them and the readiness check and key rotation that read them: a ciphertext only decrypts
 * under the purpose it was written with.
 */
export const HOOK_SECRET_PURPOSE = 'repository-hook';

/** Bound to the subscription's id: a ciphertext copied onto another row does not decrypt. */
export const subscriptionSecretPurpose = (subscriptionId: string): string => `event-subscription:${subscriptionId}`;
