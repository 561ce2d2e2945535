import { describe, expect, test } from 'vitest';
import { AccountRateLimiter } from '../../src/http/account-rate-limiter.ts';
import { clientKey, FailedAuthThrottle } from '../../src/http/failed-auth-throttle.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('AccountRateLimiter', () => {
  test('admits a burst of 2 s worth, then answers the seconds until a request fits', () => {
    const time = clock();
    const limiter = new AccountRateLimiter(10, { now: time.now });
    for (let i = 0; i < 20; i++) expect(limiter.take('a')).toBeNull();
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBeNull(); // another account has its own bucket
    time.advance(100); // refills one request
    expect(limiter.take('a')).toBeNull();
    expect(limiter.take('a')).toBe(1);
  });

  test('a slow rate answers a longer Retry-After', () => {
    const time = clock();
    const limiter = new AccountRateLimiter(0.25, { now: time.now });
    expect(limiter.take('a')).toBeNull(); // capacity: max(1, 0.5)
    expect(limiter.take('a')).toBe(4);
  });

  test('keeps at most maxAccounts buckets, dropping refilled ones first', () => {
    const time = clock();
    const limiter = new AccountRateLimiter(10, { now: time.now, maxAccounts: 100 });
    for (let i = 0; i < 20; i++) limiter.take('busy');
    for (let i = 0; i < 1_000; i++) limiter.take(`account-${i}`);
    expect(limiter.trackedAccounts).toBeLessThanOrEqual(100);
    time.advance(1_000); // the others' buckets refill; busy's does not (20 taken, 10 back)
    for (let i = 0; i < 50; i++) limiter.take(`later-${i}`);
    expect(limiter.trackedAccounts).toBeLessThanOrEqual(100);
  });
});

describe('FailedAuthThrottle', () => {
  test('blocks an address after the limit for the rest of its minute', () => {
    const time = clock();
    const throttle = new FailedAuthThrottle(3, { now: time.now });
    for (let i = 0; i < 2; i++) throttle.recordFailure('127.0.0.1');
    expect(throttle.blockedFor('127.0.0.1')).toBeNull();
    throttle.recordFailure('127.0.0.1');
    expect(throttle.blockedFor('127.0.0.1')).toBe(60);
    expect(throttle.blockedFor('127.0.0.2')).toBeNull();
    time.advance(45_500);
    expect(throttle.blockedFor('127.0.0.1')).toBe(15);
    time.advance(14_500);
    expect(throttle.blockedFor('127.0.0.1')).toBeNull();
  });

  test('counts IPv6 clients per /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:bbbb::2'));
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey(undefined)).toBe('unknown');
  });

  test('memory is bounded: addresses and remembered tokens', () => {
    const time = clock();
    const throttle = new FailedAuthThrottle(3, { now: time.now, maxAddresses: 50, maxValidTokens: 20 });
    for (let i = 0; i < 10_000; i++) throttle.recordFailure(`127.0.${Math.floor(i / 250)}.${i % 250}`);
    expect(throttle.trackedAddresses).toBeLessThanOrEqual(50);
    for (let i = 0; i < 100; i++) throttle.rememberValid(`hash-${i}`);
    expect(throttle.isRecentlyValid('hash-99')).toBe(true);
    expect(throttle.isRecentlyValid('hash-0')).toBe(false);
  });
});
