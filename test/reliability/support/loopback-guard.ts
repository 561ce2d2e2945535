import dns from 'node:dns';
import net from 'node:net';

/**
 * Keeps a process's sockets on the loopback: while installed, a connection (or a DNS lookup) to
 * anything but 127.0.0.0/8, ::1 or `localhost` fails at once instead of leaving the machine. The
 * fuzzer installs it around the in-process server because fuzzed credentials and NATS consumers
 * name hosts of their own, and the server contacts those hosts (mutations, NATS publishers).
 */
export interface LoopbackGuard {
  /** Connection attempts refused so far (host:port). */
  readonly refused: string[];
  uninstall(): void;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\]|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)$/i;

export function isLoopbackHost(host: string | undefined | null): boolean {
  return host === undefined || host === null || host === '' ? false : LOOPBACK.test(host);
}

export function installLoopbackGuard(): LoopbackGuard {
  const refused: string[] = [];
  const originalConnect = net.Socket.prototype.connect;
  const originalLookup = dns.lookup;
  const originalPromisesLookup = dns.promises.lookup;

  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const first = args[0];
    let host: string | undefined;
    let port: unknown;
    let path: string | undefined;
    if (Array.isArray(first)) {
      // Internal form: connect([options, callback]).
      const options = first[0] as { host?: string; port?: unknown; path?: string } | undefined;
      host = options?.host;
      port = options?.port;
      path = options?.path;
    } else if (first !== null && typeof first === 'object') {
      const options = first as { host?: string; port?: unknown; path?: string };
      host = options.host;
      port = options.port;
      path = options.path;
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      port = first;
      host = typeof args[1] === 'string' ? args[1] : undefined;
    } else if (typeof first === 'string') {
      path = first;
    }
    // Unix sockets are local; no host means localhost.
    if (path === undefined && host !== undefined && !isLoopbackHost(host)) {
      refused.push(`${host}:${String(port)}`);
      const error = Object.assign(new Error(`loopback guard: connection to ${host}:${String(port)} refused (tests stay on 127.0.0.1)`), {
        code: 'ECONNREFUSED',
      });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;

  const guardedLookup = function (hostname: string, ...rest: unknown[]) {
    const callback = rest.at(-1) as (error: Error | null, ...values: unknown[]) => void;
    if (!isLoopbackHost(hostname)) {
      refused.push(`dns:${hostname}`);
      const error = Object.assign(new Error(`loopback guard: lookup of ${hostname} refused`), { code: 'ENOTFOUND' });
      process.nextTick(() => callback(error));
      return;
    }
    return (originalLookup as (...a: unknown[]) => void)(hostname, ...rest);
  };
  dns.lookup = guardedLookup as typeof dns.lookup;
  dns.promises.lookup = (async (hostname: string, options?: unknown) => {
    if (!isLoopbackHost(hostname)) {
      refused.push(`dns:${hostname}`);
      throw Object.assign(new Error(`loopback guard: lookup of ${hostname} refused`), { code: 'ENOTFOUND' });
    }
    return (originalPromisesLookup as (h: string, o?: unknown) => Promise<unknown>)(hostname, options);
  }) as typeof dns.promises.lookup;

  return {
    refused,
    uninstall() {
      net.Socket.prototype.connect = originalConnect;
      dns.lookup = originalLookup;
      dns.promises.lookup = originalPromisesLookup;
    },
  };
}
