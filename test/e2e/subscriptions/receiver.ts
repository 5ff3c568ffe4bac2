import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { LocalFakeServer } from '../../fakes/local-server.js';

/** What the receiver answers to one verified request: a status, or hold the request open (never answer). */
export type Answer = number | 'hang';

export interface Received {
  readonly endpoint: string;
  readonly id: string;
  readonly type: string;
  readonly organizationId: string;
  readonly aggregateId: string;
  readonly answer: Answer;
  /** Date.now() when the request arrived. */
  readonly at: number;
}

/**
 * A deployer's endpoint on 127.0.0.1: verifies every request with the reference Standard Webhooks library
 * (`standardwebhooks`), records it, and answers what the test decides (fail for a while, hang, recover).
 * Each subscription posts to its own path /hooks/<endpoint>.
 */
export class Receiver extends LocalFakeServer {
  readonly secrets = new Map<string, string>();
  readonly requests: Received[] = [];
  readonly badSignatures: string[] = [];
  readonly rawHeaders: Record<string, string | string[] | undefined>[] = [];
  answer: (endpoint: string, id: string) => Answer = () => 204;
  /** Every answer waits this long (a slow deployer keeps a stream in flight long enough to interrupt it). */
  delayMs = 0;
  private readonly held: ServerResponse[] = [];

  endpoint(name: string): string {
    return `${this.url}/hooks/${name}`;
  }

  /** The ids the receiver acknowledged (2xx) on one endpoint, in arrival order (repeats included). */
  accepted(endpoint: string): string[] {
    return this.requests.filter((r) => r.endpoint === endpoint && typeof r.answer === 'number' && r.answer < 300).map((r) => r.id);
  }

  attempts(endpoint: string): Received[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  /** Answers the requests held open by 'hang' (a receiver that comes back). */
  releaseHeld(status = 503): void {
    for (const res of this.held.splice(0)) if (!res.writableEnded) res.writeHead(status).end();
  }

  protected override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const match = /^\/hooks\/([\w-]+)$/.exec(req.url ?? '');
    const endpoint = match?.[1];
    const secret = endpoint ? this.secrets.get(endpoint) : undefined;
    // Not registered yet (the test stores the secret once POST /v1/event-subscriptions answered): try again later.
    if (!endpoint || !secret) return void res.writeHead(503).end();
    this.rawHeaders.push(req.headers);
    let envelope: { id: string; type: string; organizationId: string; aggregateId: string };
    try {
      envelope = new Webhook(secret).verify(body, req.headers as Record<string, string>) as typeof envelope;
    } catch (error) {
      this.badSignatures.push(`${endpoint}: ${(error as Error).message}`);
      return void res.writeHead(400).end();
    }
    if (req.headers['webhook-id'] !== envelope.id)
      this.badSignatures.push(`${endpoint}: webhook-id ${String(req.headers['webhook-id'])} is not the event id ${envelope.id}`);
    const answer = this.answer(endpoint, envelope.id);
    this.requests.push({
      endpoint,
      id: envelope.id,
      type: envelope.type,
      organizationId: envelope.organizationId,
      aggregateId: envelope.aggregateId,
      answer,
      at: Date.now(),
    });
    if (answer === 'hang') {
      this.held.push(res);
      return;
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
  }

  override async stop(): Promise<void> {
    this.releaseHeld();
    await super.stop();
  }
}

/**
 * True when `accepted` delivers `expected` completely and in order: every event at least once, a repeat only
 * of the event just delivered (at-least-once after a crash), never an event before its predecessors.
 */
export function inOrderAtLeastOnce(accepted: readonly string[], expected: readonly string[]): { ok: boolean; why?: string } {
  const index = new Map(expected.map((id, i) => [id, i]));
  let next = 0;
  for (const id of accepted) {
    const i = index.get(id);
    if (i === undefined) return { ok: false, why: `unexpected event ${id}` };
    if (i === next) next++;
    else if (i !== next - 1) return { ok: false, why: `event #${i} arrived when #${next} was due` };
  }
  return next === expected.length ? { ok: true } : { ok: false, why: `only ${next} of ${expected.length} events delivered` };
}
