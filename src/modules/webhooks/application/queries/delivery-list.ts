import { type ReadDatabase } from '../../../../shared/read-database.js';

export interface DeliveryView {
  deliveryId: string;
  providerId: string;
  event: string | null;
  receivedAt: string;
  outcome: string;
  reason: string | null;
  deployments: number;
  /** Cursor for `after`. */
  id: string;
}

interface Row {
  id: string;
  delivery_id: string;
  provider_id: string;
  event: string | null;
  received_at: Date;
  outcome: string;
  reason: string | null;
  deployments: number;
}

/** Newest first; `after` is the `id` of the last item seen, for the next (older) page. */
export class DeliveryQueries {
  constructor(private readonly db: ReadDatabase) {}

  async list(
    organizationId: string,
    options: { providerIds: string[] | null; limit: number; after?: string },
  ): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    const rows = await this.db.query<Row>(
      `select id, delivery_id, provider_id, event, received_at, outcome, reason, deployments from webhook_delivery
        where organization_id = ?
          and (?::boolean or provider_id = any(?::uuid[]))
          and (?::uuid is null or id < ?::uuid)
        order by id desc
        limit ?`,
      [
        organizationId,
        options.providerIds === null,
        `{${(options.providerIds ?? []).join(',')}}`,
        options.after ?? null,
        options.after ?? null,
        options.limit,
      ],
    );
    const items = rows.map((r) => ({
      id: r.id,
      deliveryId: r.delivery_id,
      providerId: r.provider_id,
      event: r.event,
      receivedAt: new Date(r.received_at).toISOString(),
      outcome: r.outcome,
      reason: r.reason,
      deployments: r.deployments,
    }));
    return { items, nextCursor: items.length === options.limit ? (items.at(-1)?.id ?? null) : null };
  }
}
