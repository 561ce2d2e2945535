import { createReadStream, existsSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths the console never answers: the APIs and operational endpoints keep them (and targets like `//`, which the REST router answers with its 404). */
const RESERVED = [/^\/\//, /^[^/]/, /^\/v1(\/|$)/, /^\/api(\/|$)/, /^\/graphql(\/|$)/, /^\/(healthz|readyz|metrics|openapi\.json)$/];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Every console answer: scripts and styles only from the console's own files (Vite builds no
 * inline script), API calls and graphql-ws only to this origin (CSP3's 'self' covers ws:/wss: of
 * the same host), the inline SVG favicon as a data: image, and no framing (clickjacking).
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Vite writes content-hashed file names under assets/: they never change, so they may be cached for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Syncline</title></head>
<body><main><h1>Syncline</h1><p>The web console is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.</p>
<p>The APIs work without it: REST under <code>/v1</code>, GraphQL at <a href="/graphql">/graphql</a>.</p></main></body></html>`;

/** Where `npm run build` puts the console, seen from the compiled server (dist/src/http) or from source (src/http). */
export function defaultConsoleDir(): string {
  const compiled = fileURLToPath(new URL('../../console', import.meta.url));
  const fromSource = fileURLToPath(new URL('../../dist/console', import.meta.url));
  if (existsSync(resolve(compiled, 'index.html'))) return compiled;
  if (existsSync(resolve(fromSource, 'index.html'))) return fromSource;
  // Not built yet: the folder a later `npm run build` writes (files are looked up per request).
  return fileURLToPath(import.meta.url).includes(`${sep}dist${sep}src${sep}`) ? compiled : fromSource;
}

export function isConsolePath(path: string): boolean {
  return !RESERVED.some((pattern) => pattern.test(path));
}

export interface ConsoleHandler {
  /** Answers GET/HEAD for a console path: a built file, or index.html for client routes. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Serves the single-page console built into `dir` (static files, SPA fallback to index.html). */
export function createConsoleHandler(dir: string = defaultConsoleDir()): ConsoleHandler {
  const root = resolve(dir);

  async function fileAt(relative: string): Promise<{ path: string; stats: Stats } | null> {
    const path = resolve(root, `.${relative}`);
    if (path !== root && !path.startsWith(root + sep)) return null;
    try {
      const stats = await stat(path);
      return stats.isFile() ? { path, stats } : null;
    } catch {
      return null;
    }
  }

  function send(req: IncomingMessage, res: ServerResponse, file: { path: string; stats: Stats }, cacheControl: string): void {
    const etag = `W/"${file.stats.size.toString(16)}-${Math.floor(file.stats.mtimeMs).toString(16)}"`;
    const headers = {
      'content-type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': cacheControl,
      etag,
      'last-modified': file.stats.mtime.toUTCString(),
      ...CONSOLE_SECURITY_HEADERS,
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'content-length': String(file.stats.size) });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file.path)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': REVALIDATE, ...CONSOLE_SECURITY_HEADERS, ...headers });
    res.end(text);
  }

  return {
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://console.invalid').pathname);
      } catch {
        return plain(res, 400, 'bad path');
      }
      if (path.includes('\u0000')) return plain(res, 400, 'bad path');

      const file = path.endsWith('/') ? null : await fileAt(path);
      if (file) return send(req, res, file, path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
      // A missing file with an extension (a stale asset, a typo) is a 404; anything else is a client route.
      if (extname(path) !== '') return plain(res, 404, 'not found');
      const index = await fileAt('/index.html');
      if (index) return send(req, res, index, REVALIDATE);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': REVALIDATE, ...CONSOLE_SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : NOT_BUILT_PAGE);
    },
  };
}
