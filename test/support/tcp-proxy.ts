/**
 * A TCP proxy on loopback in front of a real server (PostgreSQL here): `down()` drops every
 * connection and stops listening, as a restarting server does; `up()` listens again on the same
 * port. Tests restart "the target database" with it without touching the shared PostgreSQL.
 * `bytesPerSecond` slows what clients send to the target, so a test can catch work mid-way.
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly connections = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly options: { bytesPerSecond?: number } = {},
  ) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.connections.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.connections.delete(client);
        this.connections.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      upstream.pipe(client);
      const rate = this.options.bytesPerSecond;
      if (!rate) client.pipe(upstream);
      else throttle(client, upstream, rate);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Forwards `from` to `to` at no more than `bytesPerSecond` on average, pausing `from` while ahead. */
function throttle(from: net.Socket, to: net.Socket, bytesPerSecond: number): void {
  const started = Date.now();
  let sent = 0;
  from.on('data', (chunk: Buffer) => {
    to.write(chunk);
    sent += chunk.length;
    const ahead = (sent / bytesPerSecond) * 1000 - (Date.now() - started);
    if (ahead <= 0) return;
    from.pause();
    setTimeout(() => from.resume(), ahead);
  });
  from.on('end', () => to.end());
}
