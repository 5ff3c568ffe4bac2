import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

/**
 * A fake forge's HTTP server on 127.0.0.1 and a free port (tests never reach another address).
 * Subclasses answer requests in `handle`; `url` is the forge's base URL once started.
 */
export abstract class LocalFakeServer {
  private server?: Server;
  protected baseUrl = '';
  /** TCP connections accepted so far: a request that must not reach the forge must not even connect. */
  connections = 0;
  /** HTTP requests received so far, on new or kept-alive connections alike. */
  requestCount = 0;

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  async start(): Promise<{ url: string }> {
    const server = createServer((req, res) => {
      this.requestCount++;
      void this.handle(req, res);
    });
    server.on('connection', () => this.connections++);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url: this.baseUrl };
  }

  /** Closes the server and every connection kept alive by a client. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    if (!this.baseUrl) throw new Error(`${this.constructor.name} is not started`);
    return this.baseUrl;
  }
}
