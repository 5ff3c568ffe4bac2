import { connect } from 'node:net';
import { type JsMsg, type NatsConnection } from 'nats';

/** Whether something accepts TCP connections on host:port (bounded wait). */
export function tcpReachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * NATS JetStream tests need the NATS server on 127.0.0.1:4222. CI starts one and must run them; on a fresh
 * developer machine without NATS they are skipped (and say so) rather than failing `npm test`.
 */
export const natsAvailable = (await tcpReachable('127.0.0.1', 4222)) || Boolean(process.env.CI);
if (!natsAvailable) console.warn('NATS is not running on 127.0.0.1:4222: skipping the NATS JetStream tests (CI runs them)');

/** Up to `count` messages of a JetStream stream (optionally one subject), from its start, in stream order. */
export async function readStream(nc: NatsConnection, stream: string, count: number, subject?: string): Promise<JsMsg[]> {
  const consumer = await nc.jetstream().consumers.get(stream, subject ? { filterSubjects: subject } : undefined);
  const out: JsMsg[] = [];
  while (out.length < count) {
    const batch = await consumer.fetch({ max_messages: count - out.length, expires: 2_000 });
    let got = 0;
    for await (const m of batch) {
      out.push(m);
      got++;
    }
    if (got === 0) break;
  }
  return out;
}
