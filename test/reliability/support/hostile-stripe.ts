/**
 * Stripe-compatible upstreams that misbehave on purpose (finding 2 of issue 21), each a small
 * `node:http` server on 127.0.0.1 speaking Stripe's list shape (`{object: "list", data, has_more,
 * url}`) for what the Stripe provider asks: `GET /v1/<objects>` and `GET /v1/events`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileUpstream {
  url: string;
  /** Requests received so far, as `METHOD /path` (no query). */
  requests: string[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

async function serve(handler: Handler): Promise<HostileUpstream> {
  const requests: string[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream.test');
    requests.push(`${req.method} ${url.pathname}`);
    open.add(res);
    res.on('close', () => open.delete(res));
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const created = Math.floor(Date.now() / 1000) - 3600;

export const customer = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  object: 'customer',
  created,
  email: `${id}@example.test`,
  livemode: false,
  metadata: {},
  ...extra,
});

const list = (path: string, data: unknown[], hasMore: boolean) => JSON.stringify({ object: 'list', data, has_more: hasMore, url: path });

function answerJson(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
}

/** An empty events feed, and `customers` for every customer listing (one page). */
export function quietUpstream(customers = 3): Promise<HostileUpstream> {
  return serve((_req, res, url) => {
    if (url.pathname === '/v1/events') return answerJson(res, list('/v1/events', [], false));
    answerJson(res, list(url.pathname, Array.from({ length: customers }, (_, i) => customer(`cus_quiet_${i}`)), false));
  });
}

/**
 * Customers with a `fieldBytes` field each, `perPage` a page, one page: streamed (chunked, no
 * Content-Length) unless `contentLength`, so that only counting the body as it arrives can stop it.
 */
export function hugeCustomersUpstream(options: { fieldBytes: number; perPage: number; contentLength?: boolean }): Promise<HostileUpstream> {
  const filler = 'x'.repeat(options.fieldBytes);
  return serve((_req, res, url) => {
    if (url.pathname === '/v1/events') return answerJson(res, list('/v1/events', [], false));
    const head = '{"object":"list","has_more":false,"url":"/v1/customers","data":[';
    const item = (i: number) => `${i > 0 ? ',' : ''}${JSON.stringify(customer(`cus_huge_${i}`, { description: filler }))}`;
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (options.contentLength) {
      const body = head + Array.from({ length: options.perPage }, (_, i) => item(i)).join('') + ']}';
      headers['content-length'] = Buffer.byteLength(body);
      res.writeHead(200, headers);
      return void res.end(body);
    }
    res.writeHead(200, headers);
    res.write(head);
    let i = 0;
    const next = (): void => {
      while (i < options.perPage) {
        if (!res.write(item(i++))) return void res.once('drain', next);
      }
      res.end(']}');
    };
    res.on('error', () => undefined);
    next();
  });
}

/**
 * An events feed that never ends: every `/v1/events` answer is a full page of events never seen
 * before with `has_more: true`, whatever the cursor asked, each page going further back in time
 * (a history without a start). Customers: one small page.
 */
export function endlessEventsUpstream(options: { eventBytes: number }): Promise<HostileUpstream> {
  let next = 0;
  const newest = Math.floor(Date.now() / 1000) - 60;
  const filler = 'e'.repeat(options.eventBytes);
  return serve((_req, res, url) => {
    if (url.pathname !== '/v1/events') return answerJson(res, list(url.pathname, [customer('cus_endless_0')], false));
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 10));
    const data = Array.from({ length: limit }, () => {
      const n = next++;
      return {
        id: `evt_endless_${n}`,
        object: 'event',
        type: 'customer.updated',
        created: newest - n,
        livemode: false,
        data: { object: customer(`cus_endless_${n % 500}`, { description: filler }) },
      };
    });
    answerJson(res, list('/v1/events', data, true));
  });
}

/** Accepts every request and never answers (until closed). */
export function silentUpstream(): Promise<HostileUpstream> {
  return serve(() => undefined);
}

/** One page of `perPage` tiny customers (far more than the 100 asked for), under the byte limit. */
export function manyTinyCustomersUpstream(perPage: number): Promise<HostileUpstream> {
  return serve((_req, res, url) => {
    if (url.pathname === '/v1/events') return answerJson(res, list('/v1/events', [], false));
    const parts: string[] = [];
    for (let i = 0; i < perPage; i++) parts.push(`{"id":"cus_tiny_${i}","object":"customer","created":${created}}`);
    answerJson(res, `{"object":"list","has_more":false,"url":"/v1/customers","data":[${parts.join(',')}]}`);
  });
}
