import { createRequire } from 'node:module';
import path from 'node:path';
import { type Express } from 'express';
import { refuse } from './api-routes.js';

const require = createRequire(import.meta.url);
/** swagger-ui-dist ships the built Swagger UI: served from forgelink itself, so `/docs` needs no CDN or network. */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

// Relative URLs everywhere, so the page also works behind a reverse proxy that mounts forgelink under a path.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>forgelink API reference</title>
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png" sizes="32x32">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"><noscript>The API reference needs JavaScript; the raw description is at <a href="openapi.json">openapi.json</a>.</noscript></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // null: never send the document to the public validator service (Swagger UI's default).
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
`;

/** No inline script, nothing from another origin; Swagger UI sets inline styles and uses data: images. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** `GET /docs`: a human-readable reference rendering `/openapi.json` (Swagger UI from the installed package). */
export function mountApiDocs(app: Express): void {
  app.get('/docs', (req, res) => {
    // `/docs/` would resolve the page's relative URLs one level too deep.
    if (req.path.endsWith('/')) return res.redirect(301, '../docs');
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(PAGE);
  });
  app.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  app.get('/docs/assets/:file', (req, res) => {
    const file = req.params.file;
    if (!ASSETS.has(file)) return refuse({ code: 'NOT_FOUND', detail: `No asset ${file}` });
    res.sendFile(path.join(SWAGGER_UI_DIR, file), { maxAge: '1h' });
  });
}
