import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressRefusedError } from '../../src/errors.ts';
import { egressFetch } from '../../src/net/egress-fetch.ts';
import { egressPolicy } from '../../src/net/egress-policy.ts';
import { pinnedServerOptions } from '../../src/consumers/nats/egress.ts';

interface Listener {
  server: Server;
  url: string;
  connections: number;
}

/** Real sockets: an allowed service on 127.0.0.1 and an "internal" one on 127.0.0.2 (only 127.0.0.1/32 is allowed). */
async function listen(host: string, handler: Parameters<typeof createServer>[1]): Promise<Listener> {
  const listener = { connections: 0 } as Listener;
  listener.server = createServer(handler);
  listener.server.on('connection', () => listener.connections++);
  await new Promise<void>((resolve) => listener.server.listen(0, host, () => resolve()));
  listener.url = `http://${host}:${(listener.server.address() as { port: number }).port}`;
  return listener;
}

describe('egress fetch', () => {
  const fetch = egressFetch({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32' });
  let allowed: Listener;
  let internal: Listener;

  beforeAll(async () => {
    internal = await listen('127.0.0.2', (_req, res) => res.end('internal secret'));
    allowed = await listen('127.0.0.1', (req, res) => {
      if (req.url === '/to-internal') return void res.writeHead(302, { location: `${internal.url}/x` }).end();
      if (req.url === '/to-self') return void res.writeHead(302, { location: '/landed' }).end();
      res.end(`ok ${req.url}`);
    });
  });

  afterAll(async () => {
    for (const listener of [allowed, internal]) await new Promise((resolve) => listener.server.close(resolve).closeAllConnections());
  });

  const refusal = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

  it('reaches an allowed address over kept-alive connections, and is one fetch per policy', async () => {
    const before = allowed.connections;
    expect(await (await fetch(`${allowed.url}/a`)).text()).toBe('ok /a');
    expect(await (await fetch(new URL(`${allowed.url}/b`), { headers: new Headers({ accept: 'text/plain' }) })).text()).toBe('ok /b');
    for (let i = 0; i < 8; i++) await (await fetch(`${allowed.url}/c`)).text();
    // Kept alive and pooled (undici may open a second socket when a request starts before the last one is released).
    expect(allowed.connections - before).toBeLessThanOrEqual(2);
    expect(egressFetch({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32' })).toBe(fetch);
  });

  it('refuses an address outside the allow-list, in any spelling, without connecting', async () => {
    for (const url of [`${internal.url}/`, internal.url.replace('127.0.0.2', '[::ffff:127.0.0.2]'), internal.url.replace('127.0.0.2', '[::ffff:7f00:2]')]) {
      const error = await refusal(fetch(url));
      expect(error, url).toBeInstanceOf(EgressRefusedError);
      expect((error as EgressRefusedError).message).toMatch(/egress policy refused a connection to .*: it is or resolves to a loopback address/);
    }
    expect(internal.connections).toBe(0);
  });

  it('follows redirects only where the policy allows', async () => {
    expect(await (await fetch(`${allowed.url}/to-self`)).text()).toBe('ok /landed');
    const error = await refusal(fetch(`${allowed.url}/to-internal`));
    expect(error).toBeInstanceOf(EgressRefusedError);
    expect(internal.connections).toBe(0);
  });

  it('checks host names after resolution', async () => {
    const port = new URL(allowed.url).port;
    const closed = await refusal(egressFetch({ SYNCLINE_EGRESS_ALLOW: '' })(`http://localhost:${port}/`));
    expect(closed).toBeInstanceOf(EgressRefusedError);
    expect((closed as Error).message).toContain('localhost');
    const open = await egressFetch({ SYNCLINE_EGRESS_ALLOW: '127.0.0.0/8,::1/128' })(`http://localhost:${port}/named`).then((r) => r.text(), (error: Error) => error.message);
    expect(open).toMatch(/ok \/named|ECONNREFUSED/); // ::1 first on some machines: refused by the OS, not by the policy
  });

  it('pins a NATS consumer to its checked addresses, keeping the host name for TLS', async () => {
    const policy = egressPolicy({ SYNCLINE_EGRESS_ALLOW: '127.0.0.0/8,::1/128' });
    const named = await pinnedServerOptions(policy, { natsHost: 'localhost', natsPort: 4222, natsTls: true }, {});
    expect((named.servers as string[]).every((s) => s === '127.0.0.1:4222' || s === '[::1]:4222')).toBe(true);
    expect(named).toMatchObject({ noRandomize: true, ignoreClusterUpdates: true, tls: { servername: 'localhost' } });
    const literal = await pinnedServerOptions(policy, { natsHost: '127.0.0.1', natsPort: 4222, natsTls: false }, undefined);
    expect(literal).toEqual({ servers: ['127.0.0.1:4222'], noRandomize: true, ignoreClusterUpdates: true });
    await expect(pinnedServerOptions(egressPolicy({ SYNCLINE_EGRESS_ALLOW: '' }), { natsHost: 'localhost', natsPort: 4222, natsTls: false }, undefined)).rejects.toBeInstanceOf(EgressRefusedError);
  });
});
