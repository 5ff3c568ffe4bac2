import { z } from 'zod';
import { type ReadDatabase } from '../../shared/read-database.js';
import { callerOf, type RouteContributor } from '../http/app.js';
import { type ApiRouter } from '../http/api-routes.js';
import { type EventEnvelope } from './event-publisher.js';
import { type OutboxRow, toEnvelope } from '../outbox/outbox-relay.js';

/** Cursor `<txid>.<position>`: rows below the oldest running transaction's id can no longer be overtaken by a later commit. */
const XID8_MAX = 2n ** 64n - 1n;
const BIGINT_MAX = 2n ** 63n - 1n;
const cursor = z
  .string()
  .regex(/^\d{1,20}\.\d{1,20}$/, 'must be a cursor returned as nextCursor')
  // Digits alone could still overflow PostgreSQL's xid8/bigint (a 500): the parts must fit the columns.
  .refine((value) => {
    const [tx = '', position = ''] = value.split('.');
    return /^\d+$/.test(tx) && /^\d+$/.test(position) && BigInt(tx) <= XID8_MAX && BigInt(position) <= BIGINT_MAX;
  }, 'must be a cursor returned as nextCursor');

const feedQuery = z.object({
  // `after=` (empty) reads from the beginning, like no `after` at all.
  after: z.preprocess((v) => (v === '' ? undefined : v), cursor.optional()),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  type: z
    .string()
    .regex(/^[a-z-]+(\.[a-z-]+)+$/, 'must be an event type such as deployment.requested')
    .optional(),
});

type FeedRow = Omit<OutboxRow, 'attempts'> & { txid: string };

export class EventFeed {
  constructor(private readonly db: ReadDatabase) {}

  /** The organisation's events in a stable commit order; an empty page returns the cursor it was given. */
  async page(
    organizationId: string,
    options: { after?: string; limit: number; type?: string },
  ): Promise<{ items: EventEnvelope[]; nextCursor: string | null }> {
    const [afterTx, afterPos] = options.after ? options.after.split('.') : ['0', '0'];
    const rows = await this.db.query<FeedRow>(
      `select txid::text as txid, position::text as position, id, type, organization_id, aggregate_id, occurred_at, data
         from outbox
        where organization_id = ?
          and txid < pg_snapshot_xmin(pg_current_snapshot())
          and (txid, position) > (?::xid8, ?::bigint)
          and (?::text is null or type = ?)
        -- Qualified: a bare txid/position would sort the text columns selected above ('10000' before '9999').
        order by outbox.txid, outbox.position
        limit ?`,
      [organizationId, afterTx, afterPos, options.type ?? null, options.type ?? null, options.limit],
    );
    const last = rows.at(-1);
    return { items: rows.map(toEnvelope), nextCursor: last ? `${last.txid}.${last.position}` : (options.after ?? null) };
  }
}

/** The envelope every transport carries (see docs/webhooks.md for each type's `data`). */
export const eventEnvelopeSchema = z
  .object({
    id: z.uuid().describe('Unique per event: consumers dedupe by it'),
    type: z.string().describe('e.g. `deployment.requested`'),
    occurredAt: z.iso.datetime(),
    organizationId: z.uuid(),
    aggregateId: z.string().describe('Events of one aggregate arrive in order'),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'EventEnvelope' });

const feedPage = z
  .object({
    items: z.array(eventEnvelopeSchema),
    nextCursor: z.string().nullable().describe('Pass as `after` to read on; the `after` given when nothing new has committed'),
  })
  .meta({ id: 'EventPage' });

export class EventFeedRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly feed: EventFeed) {}

  register(routes: ApiRouter): void {
    routes.route({
      method: 'get',
      path: '/events',
      tag: 'Events',
      summary: 'The organisation’s events in commit order, for deployers that poll',
      query: feedQuery,
      responses: { 200: { description: 'A page of events', schema: feedPage } },
      handle: async ({ query }, _req, res) => {
        res.json(await this.feed.page(callerOf(res).organizationId, query));
      },
    });
  }
}
