import { describe, expect, it } from 'vitest';
import { isLoopbackHost, metricsNeedToken } from '../../src/http/metrics-access.ts';

describe('/metrics access', () => {
  it('counts loopback addresses and localhost as loopback, everything else as beyond it', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'api.localhost']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '[::]', '203.0.113.7', '2001:db8::1', 'example.com', 'my-host', 'localhost.example.com', '::ffff:203.0.113.7']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('wants a token beyond loopback unless SYNCLINE_METRICS_PUBLIC, never on loopback', () => {
    expect(metricsNeedToken('127.0.0.1', false)).toBe(false);
    expect(metricsNeedToken('localhost', true)).toBe(false);
    expect(metricsNeedToken('0.0.0.0', false)).toBe(true);
    expect(metricsNeedToken('::', false)).toBe(true);
    expect(metricsNeedToken('0.0.0.0', true)).toBe(false);
    expect(metricsNeedToken('example.com', false)).toBe(true);
  });
});
