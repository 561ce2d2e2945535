import net from 'node:net';
import { checkedLookup } from './egress-fetch.ts';
import type { EgressPolicy } from './egress-policy.ts';

/**
 * A TCP socket whose `connect(port, host)` goes through the egress policy (docs/EGRESS.md), for
 * clients that open their own sockets (`pg`'s `stream` option): an IP literal is checked before
 * connecting, a name is resolved by the checked lookup and the socket connects to the addresses
 * that lookup answered, so nothing resolves the name a second time between check and connect.
 * TLS upgrades on top of it (pg's `ssl`) still verify the host name given, not the address. A
 * refusal fails the socket with EgressRefusedError itself.
 */
export function egressSocket(policy: EgressPolicy): net.Socket {
  const socket = new net.Socket();
  const connect = socket.connect.bind(socket) as (options: net.TcpSocketConnectOpts) => net.Socket;
  const checkedConnect = (port: number, host: string): net.Socket => {
    try {
      policy.checkLiteral(host);
    } catch (error) {
      process.nextTick(() => socket.destroy(error as Error));
      return socket;
    }
    return connect({ port, host: host.replace(/^\[|\]$/g, ''), lookup: checkedLookup(policy) });
  };
  socket.connect = checkedConnect as unknown as net.Socket['connect'];
  return socket;
}
