/**
 * `node --import ./test/reliability/support/fake-dns-preload.ts …`: gives a child server two DNS
 * names of the reserved `.test` domain, as an attacker's DNS would answer them (no other name's
 * answer changes, and no query leaves the machine):
 * - `internal.test` resolves to 127.0.0.2 (an "internal" address when only 127.0.0.1 is allowed);
 * - `rebind.test` answers 127.0.0.1 and 127.0.0.2 in turn, lookup after lookup (DNS rebinding:
 *   a check that resolves the name apart from the connection passes, the connection goes inside).
 */
import dns, { type LookupAddress } from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

let rebinds = 0;

function fakeAnswer(hostname: string): LookupAddress | null {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'internal.test') return { address: '127.0.0.2', family: 4 };
  if (name === 'rebind.test') return { address: rebinds++ % 2 === 0 ? '127.0.0.1' : '127.0.0.2', family: 4 };
  return null;
}

const realLookup = dns.lookup;
const realPromisesLookup = dns.promises.lookup;

function fakeLookup(hostname: string, ...rest: unknown[]): void {
  const callback = rest.at(-1) as (error: Error | null, address?: unknown, family?: number) => void;
  const answer = fakeAnswer(hostname);
  if (!answer) return void (realLookup as (...a: unknown[]) => void)(hostname, ...rest);
  const options = rest.length > 1 ? rest[0] : undefined;
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
  process.nextTick(() => (all ? callback(null, [answer]) : callback(null, answer.address, answer.family)));
}

dns.lookup = fakeLookup as typeof dns.lookup;
dns.promises.lookup = (async (hostname: string, options?: unknown) => {
  const answer = fakeAnswer(hostname);
  if (!answer) return (realPromisesLookup as (h: string, o?: unknown) => Promise<unknown>)(hostname, options);
  return typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true ? [answer] : answer;
}) as typeof dns.promises.lookup;
syncBuiltinESMExports();
