import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { shouldRenderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import { CONSOLE_SECURITY_HEADERS } from './console.ts';

/** Where GraphiQL's scripts, styles and editor workers are served from (never the console's: /graphql… is not a console path). */
export const GRAPHIQL_ASSETS_PREFIX = '/graphql/assets/';

/** The console keeps its token under this key (web/src/auth.ts); GraphiQL's page is on the same origin and reads it. */
const CONSOLE_TOKEN_KEY = 'syncline.token';
const TOKEN_PLACEHOLDER = '<your API token>';

/**
 * GraphiQL's page and assets. Like the console's policy, but Monaco (GraphiQL's editor) adds
 * <style> elements at run time ('unsafe-inline' styles), its CSS embeds its fonts as data: URLs,
 * and its language services run in workers loaded from this origin. Scripts stay 'self' only: the
 * page has no inline script (its settings are a JSON data block, which is never executed).
 */
export const GRAPHIQL_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  ...CONSOLE_SECURITY_HEADERS,
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
};

const DEFAULT_QUERY = `# Syncline's GraphQL API. Every operation needs
# an API token, in the Headers tab below:
#   {"Authorization": "Bearer syn_…"}
# Signed in to the console in this browser? Its
# token is already there. After changing it,
# ↻ (bottom left) reloads the schema for the
# docs and completion.
#
# Run: Ctrl-Enter (or ▶). Complete: Ctrl-Space.
{
  viewer {
    account {
      name
    }
  }
}
`;

/** yoga's GraphiQL settings (yoga hands them to `render`, which passes them on to the page). */
export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'Syncline GraphiQL',
  defaultQuery: DEFAULT_QUERY,
  // The token is put in by the page each time it loads: persisted headers would copy a token the
  // console keeps for the session only (sessionStorage) into localStorage.
  shouldPersistHeaders: false,
  defaultEditorToolsVisibility: 'headers',
  // Subscriptions as server-sent events over HTTP carry the header editor's Authorization like any
  // other operation (graphql-ws could only take a token fixed when the page loaded).
  subscriptionsProtocol: 'GRAPHQL_SSE',
};

/**
 * Runs in the browser: the header editor starts with the console's token (or a placeholder to
 * replace), Monaco gets its workers from this server, then yoga's GraphiQL renders.
 */
const START_SCRIPT = `(() => {
  'use strict';
  const settings = JSON.parse(document.getElementById('graphiql-settings').textContent);
  const stored = (storage) => {
    try {
      return storage().getItem(${JSON.stringify(CONSOLE_TOKEN_KEY)});
    } catch {
      return null;
    }
  };
  const token = stored(() => sessionStorage) ?? stored(() => localStorage) ?? ${JSON.stringify(TOKEN_PLACEHOLDER)};
  const headers = JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (_moduleId, label) => settings.workers[label] ?? settings.workers.editorWorkerService,
  };
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), { ...settings.graphiql, initialHeaders: headers, defaultHeaders: headers });
})();
`;

/** The console's favicon (web/index.html). */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%234f46e5'/%3E%3Cpath d='M4 10c2-4 6-4 8 0' stroke='white' stroke-width='2' fill='none'/%3E%3C/svg%3E";

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
  gzipped?: Promise<Buffer>;
}

interface Assets {
  byName: Map<string, Asset>;
  /** The URL of each file, by its role in the page. */
  urls: { js: string; css: string; start: string; workers: Record<'editorWorkerService' | 'json' | 'graphql', string> };
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** Content-hashed names: a new package version gives new URLs, so every file may be cached for good. */
function asset(byName: Map<string, Asset>, stem: string, extension: string, contentType: string, text: string): string {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const name = `${stem}-${hash}.${extension}`;
  byName.set(name, { body, contentType, etag: `"${hash}"` });
  return `${GRAPHIQL_ASSETS_PREFIX}${name}`;
}

/** GraphiQL's bundle is large (its editor included): it is loaded the first time someone opens GraphiQL, not at start. */
async function loadAssets(): Promise<Assets> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const byName = new Map<string, Asset>();
  const urls = {
    js: asset(byName, 'graphiql', 'js', JS, bundle.js),
    css: asset(byName, 'graphiql', 'css', CSS, bundle.css),
    start: asset(byName, 'start', 'js', JS, START_SCRIPT),
    workers: {
      editorWorkerService: asset(byName, 'editor.worker', 'js', JS, bundle.editorWorkerService),
      json: asset(byName, 'json.worker', 'js', JS, bundle.jsonWorker),
      graphql: asset(byName, 'graphql.worker', 'js', JS, bundle.graphqlWorker),
    },
  };
  return { byName, urls };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script type="application/json">: no `</script>` (or `<!--`) can end the block early. */
const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function page(urls: Assets['urls'], options: GraphiQLOptions): string {
  const title = escapeHtml(options.title ?? 'GraphiQL');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <link rel="icon" href="${FAVICON}" />
    <link rel="stylesheet" href="${urls.css}" />
    <script type="application/json" id="graphiql-settings">${jsonForScript({ graphiql: options, workers: urls.workers })}</script>
    <script src="${urls.js}" defer></script>
    <script src="${urls.start}" defer></script>
  </head>
  <body class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
}

export interface GraphiQL {
  /** yoga's `graphiql` option. */
  options: GraphiQLOptions;
  /** yoga's `renderGraphiQL` option: the page, with every file it loads served by `serveAsset`. */
  render(options: GraphiQLOptions): Promise<string>;
  /** A yoga plugin giving GraphiQL's page its security headers. */
  pageHeaders: Plugin;
  /** Answers GET/HEAD under GRAPHIQL_ASSETS_PREFIX, with no token (like the console's files: nothing in them is secret). */
  serveAsset(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** GraphiQL from @graphql-yoga/render-graphiql's bundle, served by this server: it works with no network beyond it. */
export function createGraphiQL(): GraphiQL {
  let assets: Promise<Assets> | null = null;
  const loaded = () => (assets ??= loadAssets().catch((error: unknown) => {
    assets = null;
    throw error;
  }));

  function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...GRAPHIQL_SECURITY_HEADERS, ...headers });
    res.end(text);
  }

  return {
    options: GRAPHIQL_OPTIONS,
    async render(options) {
      return page((await loaded()).urls, options);
    },
    pageHeaders: {
      onResponse({ request, response }) {
        if (!shouldRenderGraphiQL(request) || !response.headers.get('content-type')?.startsWith('text/html')) return;
        for (const [name, value] of Object.entries(GRAPHIQL_SECURITY_HEADERS)) response.headers.set(name, value);
        response.headers.set('content-type', 'text/html; charset=utf-8');
        response.headers.set('cache-control', 'no-cache');
      },
    },
    async serveAsset(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
      const name = (req.url ?? '').split('?')[0]?.slice(GRAPHIQL_ASSETS_PREFIX.length) ?? '';
      const file = (await loaded()).byName.get(name);
      if (!file) return plain(res, 404, 'not found');
      const headers: Record<string, string> = {
        ...GRAPHIQL_SECURITY_HEADERS,
        'content-type': file.contentType,
        'cache-control': 'public, max-age=31536000, immutable',
        etag: file.etag,
        vary: 'accept-encoding',
      };
      if (req.headers['if-none-match'] === file.etag) {
        res.writeHead(304, headers);
        return void res.end();
      }
      const gzipped = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzipped ? await (file.gzipped ??= promisify(gzip)(file.body)) : file.body;
      res.writeHead(200, { ...headers, ...(gzipped ? { 'content-encoding': 'gzip' } : {}), 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
