import { type Knex } from '@mikro-orm/postgresql';
import { type SecretCipher } from '../../../platform/crypto/secret-cipher.js';
import { subscriptionSecretPurpose } from '../../../platform/crypto/secret-purposes.js';
import { EVENT_TYPES } from '../domain/event-subscription.js';
import { type NewSubscription, type SubscriptionStore, type SubscriptionView } from '../application/event-subscriptions.js';

interface Row {
  id: string;
  url: string;
  types: string[] | null;
  description: string | null;
  created_at: Date;
  last_delivery_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  failing: boolean;
}

/** event_subscription rows; the secret column holds an AES-GCM ciphertext (SecretCipher), never plaintext. */
export class SqlSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly knex: Knex,
    private readonly cipher: SecretCipher,
  ) {}

  async add(s: NewSubscription): Promise<void> {
    // The cursor starts at the oldest transaction still running: everything committed later is delivered
    // (a few events committed just before may be delivered too — at least once, never a gap).
    await this.knex.raw(
      `insert into event_subscription (id, organization_id, url, types, description, secret, created_by, created_at, cursor_txid, cursor_position)
       values (?, ?, ?, ?::text[], ?, ?, ?, ?, pg_snapshot_xmin(pg_current_snapshot()), 0)`,
      [
        s.id,
        s.organizationId,
        s.url,
        s.types === null ? null : [...s.types],
        s.description,
        this.cipher.encrypt(s.secret.reveal(), subscriptionSecretPurpose(s.id)),
        s.createdBy,
        s.createdAt,
      ],
    );
  }

  async list(organizationId: string): Promise<SubscriptionView[]> {
    const { rows } = (await this.knex.raw(
      `select id, url, types, description, created_at, last_delivery_at, last_status, last_error, failing
         from event_subscription where organization_id = ? order by created_at, id`,
      [organizationId],
    )) as { rows: Row[] };
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      types: r.types ?? [...EVENT_TYPES],
      description: r.description,
      createdAt: new Date(r.created_at).toISOString(),
      ...(r.last_delivery_at ? { lastDeliveryAt: new Date(r.last_delivery_at).toISOString() } : {}),
      ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
      ...(r.last_error !== null ? { lastError: r.last_error } : {}),
      failing: r.failing,
    }));
  }

  async remove(organizationId: string, id: string): Promise<boolean> {
    const result = (await this.knex.raw('delete from event_subscription where id = ? and organization_id = ?', [id, organizationId])) as {
      rowCount?: number;
    };
    return (result.rowCount ?? 0) > 0;
  }
}
