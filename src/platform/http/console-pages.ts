import express, { type Router } from 'express';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The console's folder (`console/` at the repository root), found from here whether run from src/ or a build. */
export function consoleDirectory(start = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'console', 'index.html'))) return path.join(dir, 'console');
    if (path.dirname(dir) === dir) throw new Error(`console/index.html not found above ${start}`);
  }
}

/** The browser builds of the console's two libraries, served by forgelink itself (no CDN: installs are often offline). */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const esm = (id: string): string => require.resolve(id).replace(/\.js$/, '.mjs');
  return { 'preact.mjs': esm('preact'), 'hooks.mjs': esm('preact/hooks'), 'htm.mjs': esm('htm') };
}

/**
 * Serves the console at `/` and its files under `/console/`. A strict Content-Security-Policy allows only
 * forgelink's own scripts (the import map by its hash), no framing, and no referrer to forges.
 */
export function consolePages(dir = consoleDirectory()): Router {
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const mapHash = createHash('sha256').update(importMap).digest('base64');
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${mapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const vendor = vendorFiles();

  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  router.get(['/', '/index.html'], (_req, res) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  });
  router.get('/console/vendor/:file', (req, res, next) => {
    const file = vendor[req.params.file];
    if (!file) return next();
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/javascript').sendFile(file);
  });
  router.use(
    '/console',
    express.static(path.join(dir, 'src'), {
      index: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  return router;
}
