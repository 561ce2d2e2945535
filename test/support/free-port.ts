import { createServer } from 'node:net';

/** A loopback port nothing listens on (it was free a moment ago): to listen on, or to have a connection refused. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
