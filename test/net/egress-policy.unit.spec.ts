import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { EgressRefusedError } from '../../src/errors.ts';
import { egressPolicy, validateEgressAllow } from '../../src/net/egress-policy.ts';

type Ranges = Record<string, [ipaddr.IPv4, number] | [ipaddr.IPv4, number][]>;

/**
 * One address inside each special-purpose IPv4 range ipaddr.js knows (its own table, so no
 * internal address is spelt out here): the first address of the range plus one.
 */
function oneAddressPerIPv4Range(): { range: string; address: ipaddr.IPv4 }[] {
  const table = (ipaddr.IPv4.prototype as unknown as { SpecialRanges: Ranges }).SpecialRanges;
  return Object.entries(table).flatMap(([range, value]) => {
    const cidrs = (Array.isArray(value[0]) ? value : [value]) as [ipaddr.IPv4, number][];
    return cidrs.map(([base, bits]) => {
      const octets = [...base.octets];
      if (bits < 32) octets[3] = octets[3]! + 1;
      return { range, address: new ipaddr.IPv4(octets) };
    });
  });
}

const mapped = (v4: ipaddr.IPv4) => v4.toIPv4MappedAddress().toString();
const nat64 = (v4: ipaddr.IPv4) => {
  const [a, b, c, d] = v4.octets as [number, number, number, number];
  return `64:ff9b::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
};
const sixToFour = (v4: ipaddr.IPv4) => {
  const [a, b, c, d] = v4.octets as [number, number, number, number];
  return `2002:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}::1`;
};

describe('egress policy', () => {
  const closed = egressPolicy({ SYNCLINE_EGRESS_ALLOW: '' });

  it('refuses an address of every special-purpose IPv4 range, also as IPv4-mapped, NAT64 and 6to4 IPv6', () => {
    const samples = oneAddressPerIPv4Range();
    expect(samples.map((s) => s.range)).toEqual(expect.arrayContaining(['loopback', 'private', 'linkLocal', 'carrierGradeNat', 'unspecified', 'broadcast', 'multicast', 'reserved']));
    for (const { range, address } of samples) {
      for (const form of [address.toString(), mapped(address), nat64(address), sixToFour(address)]) {
        expect(closed.refusal(form), `${range}: ${form}`).not.toBeNull();
      }
    }
    expect(closed.refusal('127.0.0.1')).toBe('loopback');
    expect(closed.refusal('::ffff:127.0.0.1')).toBe('loopback');
    expect(closed.refusal('[::ffff:7f00:1]')).toBe('loopback');
  });

  it('refuses special-purpose IPv6 addresses', () => {
    for (const address of ['::1', '::', 'fe80::1', 'fe80::1%lo', 'fc00::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1', '::7f00:1', '64:ff9b:1::1', 'fec0::1', '100::1']) {
      expect(closed.refusal(address), address).not.toBeNull();
    }
    expect(closed.refusal('::1')).toBe('loopback');
    expect(closed.refusal('fd12:3456::1')).toBe('unique-local');
    expect(closed.refusal('fe80::1')).toBe('link-local');
  });

  it('allows public addresses, in every form', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
      expect(closed.refusal(address), address).toBeNull();
    }
  });

  it('allows what SYNCLINE_EGRESS_ALLOW names: CIDRs (also for IPv4-mapped forms), addresses, host names and *.suffix patterns', () => {
    const policy = egressPolicy({ SYNCLINE_EGRESS_ALLOW: ' 127.0.0.1/32, ::1 ,Emulator.Local., *.corp.example ' });
    expect(policy.refusal('127.0.0.1')).toBeNull();
    expect(policy.refusal('::ffff:127.0.0.1')).toBeNull();
    expect(policy.refusal('127.0.0.2')).toBe('loopback');
    expect(policy.refusal('::1')).toBeNull();
    expect(policy.refusal('0:0:0:0:0:0:0:1')).toBeNull();
    expect(policy.allowsName('emulator.local')).toBe(true);
    expect(policy.allowsName('EMULATOR.LOCAL.')).toBe(true);
    expect(policy.allowsName('db.corp.example')).toBe(true);
    expect(policy.allowsName('corp.example')).toBe(false);
    expect(policy.allowsName('evilcorp.example')).toBe(false);
    expect(policy.allowsName('localhost')).toBe(false);
    const wide = egressPolicy({ SYNCLINE_EGRESS_ALLOW: '127.0.0.0/8,::1/128,localhost' });
    expect(wide.refusal('127.0.0.2')).toBeNull();
    expect(wide.refusal('127.255.255.254')).toBeNull();
  });

  it('parses each value once per process', () => {
    expect(egressPolicy({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32' })).toBe(egressPolicy({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32' }));
  });

  it('refuses bad entries at start', () => {
    for (const bad of ['127.0.0.1/33', '::1/129', '127.0.0.1/8/1', 'not a host!', '127.0.0.1/x', 'a..b']) {
      expect(() => validateEgressAllow(bad), bad).toThrow();
      expect(() => loadConfig({ SYNCLINE_EGRESS_ALLOW: bad }), bad).toThrow(ConfigError);
    }
    expect(loadConfig({ SYNCLINE_EGRESS_ALLOW: '127.0.0.0/8,::1/128,localhost' }).SYNCLINE_EGRESS_ALLOW).toBe('127.0.0.0/8,::1/128,localhost');
    expect(loadConfig({}).SYNCLINE_EGRESS_ALLOW).toBe('');
  });

  it('checks literals before connecting, and names after resolution', async () => {
    expect(() => closed.checkLiteral('127.0.0.1')).toThrow(EgressRefusedError);
    expect(() => closed.checkLiteral('[::1]')).toThrow(/egress policy refused a connection to ::1: it is or resolves to a loopback address/);
    expect(() => closed.checkLiteral('example.com')).not.toThrow();

    const refused = await closed.resolve('localhost').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EgressRefusedError);
    expect((refused as EgressRefusedError).code).toBe('egress_refused');
    expect((refused as EgressRefusedError).message).toContain('localhost');
    expect((refused as EgressRefusedError).message).not.toMatch(/127\.0\.0\.1|::1/); // what a name resolves to stays in the logs

    const byName = await egressPolicy({ SYNCLINE_EGRESS_ALLOW: 'localhost' }).resolve('localhost');
    expect(byName.length).toBeGreaterThan(0);
    const byCidr = await egressPolicy({ SYNCLINE_EGRESS_ALLOW: '127.0.0.0/8,::1/128' }).resolve('localhost');
    expect(byCidr.every((a) => a.address === '127.0.0.1' || a.address === '::1')).toBe(true);
    expect(await egressPolicy({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1' }).resolve('127.0.0.1')).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });
});
