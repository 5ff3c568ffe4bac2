import { type IncomingMessage, type ServerResponse } from 'node:http';
import { LocalFakeServer } from './local-server.js';

export interface TrappedRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * An attacker's host on 127.0.0.1: records every connection and every request (headers and body, verbatim)
 * and answers `status` (401 by default, so a client that sent credentials learns nothing useful).
 */
export class TrapServer extends LocalFakeServer {
  readonly requests: TrappedRequest[] = [];
  status = 401;

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: { ...req.headers },
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(this.status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Bad credentials' }));
  }

  /** Everything received, as one text (for "never contains this secret" checks). */
  text(): string {
    return this.requests.map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n\n');
  }
}
