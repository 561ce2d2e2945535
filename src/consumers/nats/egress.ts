import net from 'node:net';
import type { ConnectionOptions, TlsOptions } from 'nats';
import type { NatsConsumer } from '../../generated/prisma/client.ts';
import type { EgressPolicy } from '../../net/egress-policy.ts';

/**
 * Where a NATS consumer's publisher connects (egress policy, docs/EGRESS.md): its host resolved
 * and every address checked, the client given those addresses (it resolves nothing itself, so
 * a name cannot resolve elsewhere between the check and the connect) and told not to follow the
 * servers a NATS cluster advertises. With `tls`, the certificate is still verified against the
 * host name the tenant gave.
 */
export async function pinnedServerOptions(policy: EgressPolicy, consumer: Pick<NatsConsumer, 'natsHost' | 'natsPort' | 'natsTls'>, tls: ConnectionOptions['tls']): Promise<ConnectionOptions> {
  const addresses = await policy.resolve(consumer.natsHost);
  const servers = addresses.map(({ address }) => (net.isIPv6(address) ? `[${address}]:${consumer.natsPort}` : `${address}:${consumer.natsPort}`));
  const named = net.isIP(consumer.natsHost.replace(/^\[|\]$/g, '')) === 0;
  return {
    servers,
    noRandomize: true,
    ignoreClusterUpdates: true,
    // nats.js hands its `tls` options on to Node's tls.connect, which verifies against `servername`.
    ...(consumer.natsTls && named ? { tls: { ...(tls ?? {}), servername: consumer.natsHost } as TlsOptions } : {}),
  };
}
