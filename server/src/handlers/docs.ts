/**
 * @module The public docs routes (`/docs`, `/redoc`, `/openapi.json`, `/docs/oauth2-redirect`)
 * and the assets they load, served from the installed `swagger-ui-dist` and `redoc` (its standalone
 * bundle) packages (no CDN).
 *
 * The pages run no inline script: the Swagger UI is started by `agentos-docs.js`, served with the
 * assets, so a strict Content-Security-Policy (`script-src 'self'`) holds. Mount the assets
 * outside the operation router, before authentication (they are static and public):
 * `app.use('/docs/assets', createDocsAssets())`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import apiSpec from '../generated/openapi.json' with { type: 'json' };
import type { Handlers } from '../generated/server.js';
import type { ServerContext } from '../server-context.js';

type DocsOperations = 'getDocs' | 'getRedoc' | 'getOpenApiDocument' | 'getDocsOAuth2Redirect';

export interface DocsOptions {
  /** Serve the docs (default true; env `DOCS_ENABLED`). Off: every docs route answers 404. */
  readonly enabled?: boolean | undefined;
  /** Where the assets are mounted, relative to the app (default `/docs/assets`). */
  readonly assetsPath?: string | undefined;
  /**
   * Whether this server serves an operation. `/openapi.json` leaves out the feature operations
   * (`x-agentos-feature`) it does not serve, so a client learns this deployment's surface from it,
   * as from agno's own document. Default: every operation.
   */
  readonly served?: ((operationId: string) => boolean) | undefined;
}

/** Files of swagger-ui-dist the pages use; nothing else of the package is served. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'oauth2-redirect.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** The ReDoc standalone bundle, from the installed `redoc` package. */
const REDOC_BUNDLE = 'redoc.standalone.js';

/** Starts ReDoc from the page's data attributes (no inline script). */
const REDOC_INIT_SCRIPT = `window.addEventListener('load', function () {
  var el = document.getElementById('redoc');
  Redoc.init(el.getAttribute('data-openapi-url'), { hideDownloadButton: false }, el);
});
`;

/** Starts the Swagger UI from the page's data attributes (no inline script). */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  var el = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: el.getAttribute('data-openapi-url'),
    oauth2RedirectUrl: window.location.origin + el.getAttribute('data-oauth2-redirect'),
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: false,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout'
  });
});
`;

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
const PAGE_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
} as const;

/** The installed redoc bundles folder. */
export function redocBundlePath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('redoc/package.json')), 'bundles', REDOC_BUNDLE);
}

/** ReDoc builds its search index in a worker it starts from a blob: URL. */
const REDOC_HEADERS = {
  ...PAGE_HEADERS,
  'Content-Security-Policy': `${CSP}; worker-src 'self' blob:`,
} as const;

/** The installed swagger-ui-dist folder. */
export function swaggerUiDistPath(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The Swagger UI assets (`GET /<file>` for the files the pages use, and `agentos-docs.js`).
 * @example app.use('/docs/assets', createDocsAssets())
 */
export function createDocsAssets(): Router {
  const dir = swaggerUiDistPath();
  const router = Router({ caseSensitive: true, strict: true });
  const cache = new Map<string, Buffer>();
  router.get('/:file', function agentosDocsAsset(req, res, next) {
    const file = req.params.file;
    const script = file === 'agentos-docs.js' || file === 'agentos-redoc.js' || file === REDOC_BUNDLE;
    const type = script ? 'text/javascript; charset=utf-8' : ASSETS[file];
    if (!type) {
      next();
      return;
    }
    let body = cache.get(file);
    if (!body) {
      body =
        file === 'agentos-docs.js'
          ? Buffer.from(INIT_SCRIPT)
          : file === 'agentos-redoc.js'
            ? Buffer.from(REDOC_INIT_SCRIPT)
            : file === REDOC_BUNDLE
              ? readFileSync(redocBundlePath())
              : readFileSync(join(dir, file));
      cache.set(file, body);
    }
    res.setHeader('Content-Type', type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.status(200).end(body);
  });
  return router;
}

/**
 * Creates the docs handlers.
 * @param options `enabled` (default true), `assetsPath` (default `/docs/assets`)
 */
export function createDocsHandlers(
  _ctx: ServerContext,
  options: DocsOptions = {},
): Pick<Handlers, DocsOperations> {
  const enabled = options.enabled !== false;
  const assets = options.assetsPath ?? '/docs/assets';
  const notFound = { status: 404, body: { detail: 'Not Found' } } as const;
  const documents = new Map<string, Record<string, unknown>>();

  /** The document's paths without the feature operations this server does not serve. */
  function servedPaths(): Record<string, unknown> {
    const paths = (apiSpec as { paths: Record<string, Record<string, unknown>> }).paths;
    const served = options.served;
    if (!served) return paths;
    const out: Record<string, unknown> = {};
    for (const [path, item] of Object.entries(paths)) {
      const kept = Object.entries(item).filter(([, op]) => {
        const o = op as { operationId?: unknown; 'x-agentos-feature'?: unknown } | null;
        return !(o && typeof o === 'object' && o['x-agentos-feature'] && !served(String(o.operationId)));
      });
      if (kept.some(([k]) => ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'].includes(k)))
        out[path] = Object.fromEntries(kept);
    }
    return out;
  }

  /** The app's mount path (`req.baseUrl`), so the pages work under a prefix too. */
  const baseOf = (req: { baseUrl?: string }) => (req.baseUrl ?? '').replace(/\/+$/, '');

  return {
    getDocs({ req }) {
      if (!enabled) return notFound;
      const base = baseOf(req);
      const a = escapeHtml(`${base}${assets}`);
      const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AgentOS API</title>
<link rel="stylesheet" href="${a}/swagger-ui.css">
<link rel="icon" type="image/png" href="${a}/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui" data-openapi-url="${escapeHtml(`${base}/openapi.json`)}" data-oauth2-redirect="${escapeHtml(`${base}/docs/oauth2-redirect`)}"></div>
<noscript>The interactive docs need JavaScript. The API description is at <a href="${escapeHtml(`${base}/openapi.json`)}">/openapi.json</a>.</noscript>
<script src="${a}/swagger-ui-bundle.js"></script>
<script src="${a}/swagger-ui-standalone-preset.js"></script>
<script src="${a}/agentos-docs.js"></script>
</body>
</html>
`;
      return { status: 200, body: html, contentType: 'text/html', headers: PAGE_HEADERS };
    },

    getRedoc({ req }) {
      if (!enabled) return notFound;
      const base = baseOf(req);
      const a = escapeHtml(`${base}${assets}`);
      const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AgentOS API reference</title>
<style>body{margin:0;padding:0}</style>
</head>
<body>
<div id="redoc" data-openapi-url="${escapeHtml(`${base}/openapi.json`)}"></div>
<noscript>The API reference needs JavaScript. The API description is at <a href="${escapeHtml(`${base}/openapi.json`)}">/openapi.json</a>; the interactive docs are at <a href="${escapeHtml(`${base}/docs`)}">/docs</a>.</noscript>
<script src="${a}/${REDOC_BUNDLE}"></script>
<script src="${a}/agentos-redoc.js"></script>
</body>
</html>
`;
      return { status: 200, body: html, contentType: 'text/html', headers: REDOC_HEADERS };
    },

    getOpenApiDocument({ req }) {
      if (!enabled) return notFound;
      const base = baseOf(req) || '/';
      let doc = documents.get(base);
      if (!doc) {
        // Same origin as the page: "Try it out" calls this server wherever it listens.
        doc = {
          ...(apiSpec as Record<string, unknown>),
          paths: servedPaths(),
          servers: [{ url: base, description: 'This AgentOS' }],
        };
        documents.set(base, doc);
      }
      return { status: 200, body: doc };
    },

    getDocsOAuth2Redirect({ req }) {
      if (!enabled) return notFound;
      const html = `<!doctype html>
<html lang="en-US">
<head><meta charset="utf-8"><title>Swagger UI: OAuth2 Redirect</title></head>
<body>
<script src="${escapeHtml(`${baseOf(req)}${assets}`)}/oauth2-redirect.js"></script>
</body>
</html>
`;
      return { status: 200, body: html, contentType: 'text/html', headers: PAGE_HEADERS };
    },
  };
}
