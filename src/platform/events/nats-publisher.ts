import {
  connect,
  headers as natsHeaders,
  JSONCodec,
  nanos,
  NatsError,
  StorageType,
  type ConnectionOptions,
  type JetStreamClient,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import type { EventEnvelope, EventPublisher } from './event-publisher.js';

export const AGGREGATE_ID_HEADER = 'Forgelink-Aggregate-Id';

export interface NatsPublisherLogger {
  warn(obj: object, msg: string): void;
}

export interface NatsJetStreamPublisherOptions {
  /** `nats://[user:pass@|token@]host[:port]` or `tls://...`; credentials in the URL are sent as auth, never logged. */
  url: string;
  /** JetStream stream name; default `FORGELINK`. */
  stream?: string;
  /** Subject prefix; events go to `<prefix>.<type>`; default `forgelink`. */
  subjectPrefix?: string;
  /** JetStream dedupe window for `Nats-Msg-Id` (= event id); default 2 minutes. */
  duplicateWindowMs?: number;
  /** How long the first connect may take; default 5 s. */
  connectTimeoutMs?: number;
  /** How long to wait for the PubAck before failing the publish; default 5 s. */
  publishTimeoutMs?: number;
  logger?: NatsPublisherLogger;
}

export interface NatsPublishAck {
  readonly stream: string;
  readonly seq: number;
  /** true when JetStream had already stored this event id within the duplicate window. */
  readonly duplicate: boolean;
}

export class NatsPublisherError extends Error {
  override readonly name = 'NatsPublisherError';
}

const DEFAULT_STREAM = 'FORGELINK';
const DEFAULT_PREFIX = 'forgelink';
const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
const STREAM_NOT_FOUND = 10059;

const SUBJECT_TOKENS = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const STREAM_NAME = /^[A-Za-z0-9_-]+$/;

interface BrokerAddress {
  readonly server: string;
  readonly tls: boolean;
  readonly auth: Pick<ConnectionOptions, 'user' | 'pass' | 'token'>;
}

/** Parses the broker URL into what nats.js needs, keeping credentials out of `server` (which appears in errors). */
export function parseBrokerUrl(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NatsPublisherError('EVENT_BROKER_URL is not a valid URL');
  }
  if (parsed.protocol !== 'nats:' && parsed.protocol !== 'tls:') {
    throw new NatsPublisherError(`EVENT_BROKER_URL must use nats:// or tls://, got ${parsed.protocol.replace(/:$/, '')}://`);
  }
  if (parsed.hostname === '') throw new NatsPublisherError('EVENT_BROKER_URL has no host');
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
    throw new NatsPublisherError('EVENT_BROKER_URL must be scheme://host[:port] with no path or query');
  }
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  const auth = user === '' ? {} : pass === '' ? { token: user } : { user, pass };
  return { server: `${parsed.hostname}:${parsed.port || '4222'}`, tls: parsed.protocol === 'tls:', auth };
}

/**
 * What start-up logs about the broker connection: where, whether TLS, which kind of credentials — never the
 * credentials (a `nats://user:pass@host` URL logs as `nats://host:4222` with `auth: "user+password"`).
 */
export function natsConnectionSummary(
  url: string,
  publisher: Pick<NatsJetStreamPublisher, 'stream' | 'subjectPrefix'>,
): Record<string, string> {
  const address = parseBrokerUrl(url);
  const auth = address.auth.token !== undefined ? 'token' : address.auth.user !== undefined ? 'user+password' : 'none';
  return {
    broker: `${address.tls ? 'tls' : 'nats'}://${address.server}`,
    tls: address.tls ? 'on' : 'off',
    auth,
    stream: publisher.stream,
    subjects: `${publisher.subjectPrefix}.>`,
  };
}

function natsCode(err: unknown): string {
  if (err instanceof NatsError) {
    return err.api_error ? `${err.api_error.description} (${err.api_error.err_code ?? err.api_error.code})` : err.code;
  }
  return err instanceof Error ? err.message : 'unknown error';
}

/** Publishes the outbox's events to NATS JetStream; JetStream dedupes redeliveries by event id within the window. */
export class NatsJetStreamPublisher implements EventPublisher {
  readonly name = 'nats-jetstream';
  private readonly codec = JSONCodec<EventEnvelope>();
  private closing: Promise<void> | undefined;
  private connected = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    readonly stream: string,
    readonly subjectPrefix: string,
    private readonly server: string,
    private readonly publishTimeoutMs: number,
  ) {}

  static async connect(options: NatsJetStreamPublisherOptions): Promise<NatsJetStreamPublisher> {
    const address = parseBrokerUrl(options.url);
    const stream = options.stream ?? DEFAULT_STREAM;
    const prefix = options.subjectPrefix ?? DEFAULT_PREFIX;
    const duplicateWindowMs = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    if (!STREAM_NAME.test(stream)) throw new NatsPublisherError(`invalid JetStream stream name "${stream}"`);
    if (!SUBJECT_TOKENS.test(prefix)) throw new NatsPublisherError(`invalid subject prefix "${prefix}"`);
    if (!Number.isInteger(duplicateWindowMs) || duplicateWindowMs <= 0) {
      throw new NatsPublisherError('duplicateWindowMs must be a positive integer');
    }

    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: address.server,
        name: 'forgelink',
        timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        // Once connected, keep reconnecting forever: the relay retries failed publishes with backoff meanwhile.
        reconnect: true,
        maxReconnectAttempts: -1,
        ...(address.tls ? { tls: {} } : {}),
        ...address.auth,
      });
    } catch (err) {
      throw new NatsPublisherError(`cannot connect to NATS at ${address.server}: ${natsCode(err)}`);
    }

    const logger = options.logger;
    try {
      await ensureStream(nc, stream, `${prefix}.>`, duplicateWindowMs, logger);
      const publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
      const js = nc.jetstream({ timeout: publishTimeoutMs });
      const publisher = new NatsJetStreamPublisher(nc, js, stream, prefix, address.server, publishTimeoutMs);
      void publisher.watchStatus(logger);
      return publisher;
    } catch (err) {
      await nc.close().catch(() => undefined);
      if (err instanceof NatsPublisherError) throw err;
      throw new NatsPublisherError(`cannot set up JetStream stream ${stream} on ${address.server}: ${natsCode(err)}`);
    }
  }

  private async watchStatus(logger: NatsPublisherLogger | undefined): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      if (s.type === 'reconnect') this.connected = true;
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        logger?.warn({ broker: this.server, status: s.type }, 'NATS connection status changed');
      }
    }
  }

  subjectFor(type: string): string {
    return `${this.subjectPrefix}.${type}`;
  }

  async publish(event: EventEnvelope): Promise<void> {
    await this.publishWithAck(event);
  }

  /** Same as publish, returning the PubAck (`duplicate` is true when JetStream dropped a redelivery). */
  async publishWithAck(event: EventEnvelope): Promise<NatsPublishAck> {
    if (this.closing || this.nc.isClosed()) {
      throw new NatsPublisherError(`cannot publish ${event.type} ${event.id}: NATS publisher is closed`);
    }
    if (!SUBJECT_TOKENS.test(event.type)) {
      throw new NatsPublisherError(`event type "${event.type}" is not a valid NATS subject token`);
    }
    if (event.id === '') throw new NatsPublisherError('event id is empty: JetStream could not dedupe it');
    const subject = this.subjectFor(event.type);
    const h = natsHeaders();
    h.set(AGGREGATE_ID_HEADER, event.aggregateId);
    try {
      const ack = await this.js.publish(subject, this.codec.encode(event), {
        msgID: event.id,
        headers: h,
        timeout: this.publishTimeoutMs,
        expect: { streamName: this.stream },
      });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      throw new NatsPublisherError(`publishing ${event.type} ${event.id} to ${subject} on ${this.server} failed: ${natsCode(err)}`);
    }
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.nc.isClosed()) return;
      // Draining waits for the server, which never answers while disconnected: close at once then.
      if (this.connected) {
        const drained = await Promise.race([
          this.nc.drain().then(
            () => true,
            () => false,
          ),
          new Promise<false>((resolve) => setTimeout(resolve, this.publishTimeoutMs, false).unref()),
        ]);
        if (drained) return;
      }
      await this.nc.close().catch(() => undefined);
    })();
    return this.closing;
  }
}

async function ensureStream(
  nc: NatsConnection,
  stream: string,
  subject: string,
  duplicateWindowMs: number,
  logger: NatsPublisherLogger | undefined,
): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const duplicateWindow = nanos(duplicateWindowMs);
  let existing: StreamConfig | undefined;
  try {
    existing = (await jsm.streams.info(stream)).config;
  } catch (err) {
    if (!(err instanceof NatsError) || err.api_error?.err_code !== STREAM_NOT_FOUND) throw err;
  }
  if (!existing) {
    try {
      await jsm.streams.add({
        name: stream,
        subjects: [subject],
        storage: StorageType.File,
        duplicate_window: duplicateWindow,
      });
      return;
    } catch (err) {
      // Another instance may have created it between our info and add; fall through to the update path.
      existing = (
        await jsm.streams.info(stream).catch(() => {
          throw err;
        })
      ).config;
    }
  }
  if (existing.storage !== StorageType.File) {
    logger?.warn({ stream, storage: existing.storage }, 'JetStream stream exists with non-file storage; keeping it');
  }
  // The server omits `subjects` for streams that only source or mirror others.
  const current: string[] = existing.subjects ?? [];
  const subjects = current.includes(subject) ? current : [...current, subject];
  if (subjects !== current || existing.duplicate_window !== duplicateWindow) {
    await jsm.streams.update(stream, { ...existing, subjects, duplicate_window: duplicateWindow });
  }
}
