/**
 * The egress policy (DESIGN §9, docs/EGRESS.md): which addresses the server may connect to on a
 * tenant's behalf (providers, OAuth token endpoints, NATS consumers, webhooks). Every public
 * (global unicast) address may be reached; every special-purpose one — loopback, private,
 * link-local, unique-local, carrier-grade NAT, unspecified, broadcast, multicast, reserved and
 * the rest of the IANA special registries — only when `SYNCLINE_EGRESS_ALLOW` allows it by CIDR,
 * or allows the host name itself. IPv6 forms that carry an IPv4 address (IPv4-mapped,
 * IPv4-translated, NAT64 `64:ff9b::/96`, 6to4) are judged by that IPv4 address.
 *
 * Names are checked after resolution, and the connection then goes to the checked address
 * (src/net/egress-fetch.ts, src/consumers/nats/egress.ts), so DNS rebinding cannot slip between.
 */
import dns, { type LookupAddress } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { EgressRefusedError } from '../errors.ts';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

export interface EgressPolicy {
  /** Why `address` (an IP address) may not be reached — `loopback`, `private`… — or null when it may. */
  refusal(address: string): string | null;
  /** The host names (or `*.suffix` patterns) the operator allowed: their addresses are not checked. */
  allowsName(host: string): boolean;
  /** Throws EgressRefusedError when `host` is an IP address literal that may not be reached; names pass. */
  checkLiteral(host: string): void;
  /** Resolves `host` (a literal answers itself) and throws EgressRefusedError unless every address may be reached. */
  resolve(host: string, options?: { family?: number; hints?: number }): Promise<LookupAddress[]>;
}

/** Human names of ipaddr.js's ranges, for messages. */
const RANGE_NAMES: Record<string, string> = {
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade NAT',
  deprecatedSiteLocal: 'site-local',
  ipv4Compatible: 'IPv4-compatible IPv6',
  rfc6052: 'local-use NAT64',
};

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
const normalName = (host: string) => bare(host).toLowerCase().replace(/\.$/, '');

/** The IPv4 address an IPv6 address stands for (mapped, translated, well-known NAT64 prefix, 6to4), or null. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const parts = address.parts;
  const low32 = () => new ipaddr.IPv4([parts[6]! >> 8, parts[6]! & 0xff, parts[7]! >> 8, parts[7]! & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped':
      return address.toIPv4Address();
    case 'rfc6145':
      return low32();
    case 'rfc6052':
      // The well-known prefix 64:ff9b::/96 reaches the IPv4 Internet; 64:ff9b:1::/48 is for local use.
      return parts[1] === 0xff9b && parts[2] === 0 ? low32() : null;
    case '6to4':
      return new ipaddr.IPv4([parts[1]! >> 8, parts[1]! & 0xff, parts[2]! >> 8, parts[2]! & 0xff]);
    default:
      return null;
  }
}

/** ipaddr.js's range of the address, `unicast` for public ones; IPv6 forms of IPv4 judged by their IPv4 address. */
export function addressRange(address: Address): string {
  if (address.kind() === 'ipv4') return address.range();
  const v6 = address as ipaddr.IPv6;
  const v4 = embeddedIPv4(v6);
  if (v4) return v4.range();
  const range = v6.range();
  // ::a.b.c.d (deprecated IPv4-compatible) may still be tunnelled to a.b.c.d: never public.
  if (range === 'unicast' && v6.parts.slice(0, 6).every((part) => part === 0)) return 'ipv4Compatible';
  return range;
}

function parseAddress(text: string): Address | null {
  const host = bare(text);
  const zoneless = host.replace(/%.*$/, '');
  if (net.isIP(zoneless) === 0) return null;
  return ipaddr.parse(zoneless);
}

function parseAllowList(value: string): { cidrs: Cidr[]; names: string[]; suffixes: string[] } {
  const cidrs: Cidr[] = [];
  const names: string[] = [];
  const suffixes: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [base, bits, extra] = entry.split('/');
    if (bits !== undefined) {
      const address = parseAddress(base!);
      const prefix = Number(bits);
      const max = address?.kind() === 'ipv4' ? 32 : 128;
      if (!address || extra !== undefined || !/^\d{1,3}$/.test(bits) || prefix > max) throw new Error(`"${entry}" is not a CIDR (e.g. 127.0.0.0/8, ::1/128)`);
      cidrs.push([address, prefix]);
      continue;
    }
    const address = parseAddress(entry);
    if (address) {
      cidrs.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      continue;
    }
    const name = normalName(entry);
    if (!/^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(name)) {
      throw new Error(`"${entry}" is neither a CIDR, an IP address nor a host name`);
    }
    if (name.startsWith('*.')) suffixes.push(name.slice(1));
    else names.push(name);
  }
  return { cidrs, names, suffixes };
}

/** Throws an Error naming the first bad entry of a `SYNCLINE_EGRESS_ALLOW` value. */
export function validateEgressAllow(value: string): void {
  parseAllowList(value);
}

function inCidr(address: Address, [base, bits]: Cidr): boolean {
  return address.kind() === base.kind() && address.match(base, bits);
}

function createEgressPolicy(allow: string): EgressPolicy {
  const { cidrs, names, suffixes } = parseAllowList(allow);

  const allowsName = (host: string): boolean => {
    const name = normalName(host);
    return names.includes(name) || suffixes.some((suffix) => name.endsWith(suffix));
  };

  const refusal = (text: string): string | null => {
    const address = parseAddress(text);
    if (!address) return 'invalid';
    const v4 = address.kind() === 'ipv6' ? embeddedIPv4(address as ipaddr.IPv6) : null;
    if (cidrs.some((cidr) => inCidr(address, cidr) || (v4 !== null && inCidr(v4, cidr)))) return null;
    const range = addressRange(address);
    return range === 'unicast' ? null : (RANGE_NAMES[range] ?? range);
  };

  const check = (host: string, address: string): void => {
    const refused = refusal(address);
    if (refused) throw new EgressRefusedError(bare(host), refused, address);
  };

  return {
    refusal,
    allowsName,
    checkLiteral(host) {
      const literal = bare(host);
      if (parseAddress(literal) && !allowsName(literal)) check(host, literal);
    },
    async resolve(host, options = {}) {
      const name = bare(host);
      const family = net.isIP(name.replace(/%.*$/, ''));
      if (family !== 0) {
        if (!allowsName(name)) check(host, name);
        return [{ address: name, family }];
      }
      // Read at call time: tests give the process a resolver of their own (fake-dns-preload.ts).
      const addresses = await dns.promises.lookup(name, { all: true, family: options.family ?? 0, ...(options.hints ? { hints: options.hints } : {}) });
      if (!allowsName(name)) for (const { address } of addresses) check(host, address);
      return addresses;
    },
  };
}

const policies = new Map<string, EgressPolicy>();

/** The policy of a `SYNCLINE_EGRESS_ALLOW` value, parsed once per process. */
export function egressPolicy(config: { SYNCLINE_EGRESS_ALLOW: string }): EgressPolicy {
  const allow = config.SYNCLINE_EGRESS_ALLOW;
  let policy = policies.get(allow);
  if (!policy) {
    policy = createEgressPolicy(allow);
    policies.set(allow, policy);
  }
  return policy;
}
