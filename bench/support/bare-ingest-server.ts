import { createHmac, timingSafeEqual } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import express from 'express';

/**
 * The P1 baseline, run as its own process like `forgelink serve`: an express 5 endpoint that reads the raw body,
 * checks GitHub's X-Hub-Signature-256 (HMAC-SHA256) in constant time and answers 202 — no database, no parsing.
 * `BARE_SECRET` is the webhook secret; it prints `listening <port>` on stdout.
 */
const secret = process.env.BARE_SECRET ?? '';
if (!secret) throw new Error('BARE_SECRET is required');

const app = express();
app.disable('x-powered-by');
app.post('/v1/webhooks/:providerId', express.raw({ type: () => true, limit: '25mb' }), (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    res.status(401).json({ code: 'INVALID_SIGNATURE' });
    return;
  }
  res.status(202).json({ deliveryId: req.headers['x-github-delivery'], deployments: 1 });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
