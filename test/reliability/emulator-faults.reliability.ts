/**
 * The Stripe emulator's fault kinds, seen from a plain HTTP client: what upstream-faults.reliability.ts
 * relies on. (429 / 500 are covered by test/emulators/stripe-emulator.int.spec.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';

describe('Stripe emulator fault kinds', () => {
  let emulator: StripeEmulator;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 20 }, randomSeed: 11 });
  });

  afterAll(async () => {
    await emulator?.close();
  });

  const list = (init: RequestInit = {}) =>
    fetch(`${emulator.url}/v1/customers?limit=5`, { ...init, headers: { authorization: `Bearer ${emulator.apiKey}` } });
  const lastEntry = () => emulator.requestLog.at(-1)!;

  it('timeoutRate + timeoutMs: no answer, the connection is cut after timeoutMs', async () => {
    emulator.setFaults({ timeoutRate: 1, timeoutMs: 300 });
    const started = Date.now();
    await expect(list()).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(lastEntry()).toMatchObject({ status: 0, fault: 'timeout' });
    expect(lastEntry().endedAt - lastEntry().startedAt).toBeGreaterThanOrEqual(290);
    emulator.setFaults({});
  });

  it('timeoutRate without timeoutMs: held until the client gives up; the entry ends then', async () => {
    emulator.setFaults({ timeoutRate: 1 });
    // The emulator's clock (same process): the client gives up 400 ms after this, give or take a timer's millisecond.
    const sent = performance.timeOrigin + performance.now();
    await expect(list({ signal: AbortSignal.timeout(400) })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    const entry = lastEntry();
    expect(entry).toMatchObject({ status: 0, fault: 'timeout' });
    // Held until the client gave up (measured from the send: the request reaches the emulator a moment later).
    expect(entry.endedAt - sent).toBeGreaterThanOrEqual(398);
    emulator.setFaults({});
  });

  it('maxTimeouts: exactly that many requests hang, the next ones are answered', async () => {
    emulator.setFaults({ timeoutRate: 1, timeoutMs: 100, maxTimeouts: 1 });
    await expect(list()).rejects.toThrow();
    expect((await list()).status).toBe(200);
    expect((await list()).status).toBe(200);
    // Setting faults again starts a new count.
    emulator.setFaults({ timeoutRate: 1, timeoutMs: 100, maxTimeouts: 1 });
    await expect(list()).rejects.toThrow();
    emulator.setFaults({});
  });

  it('resetRate: the connection is reset without an answer, and nothing is handled', async () => {
    emulator.setFaults({ resetRate: 1 });
    const before = emulator.objects('customer').length;
    const create = fetch(`${emulator.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=reset%40example.com',
    });
    await expect(create).rejects.toThrow();
    expect(lastEntry()).toMatchObject({ status: 0, fault: 'reset' });
    expect(emulator.objects('customer')).toHaveLength(before);
    emulator.setFaults({});
  });

  it('truncatedRate: a 200 with a JSON body cut short, its Content-Length matching', async () => {
    emulator.setFaults({ truncatedRate: 1 });
    const answer = await list();
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(Number(answer.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(() => JSON.parse(text)).toThrow();
    expect(lastEntry()).toMatchObject({ status: 200, fault: 'truncated' });
    // Errors are not truncated: only 200s are.
    emulator.setFaults({ truncatedRate: 1, rate500: 1 });
    const failed = await list();
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { type: 'api_error' } });
    emulator.setFaults({});
  });

  it('slowMs: answers come up to slowMs later, and are whole', async () => {
    emulator.setFaults({ slowMs: 200 });
    const durations: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await list();
      expect(answer.status).toBe(200);
      expect((await answer.json()).data).toHaveLength(5);
      durations.push(lastEntry().endedAt - lastEntry().startedAt);
      expect(lastEntry().fault).toBe('slow');
    }
    expect(Math.max(...durations)).toBeLessThan(200 + 100);
    expect(Math.max(...durations)).toBeGreaterThan(10);
    emulator.setFaults({});
  });

  it('counts every injected fault by kind, and refuses invalid settings', async () => {
    const counts = emulator.faultCounts;
    expect(counts.timeout).toBeGreaterThanOrEqual(3);
    expect(counts.reset).toBeGreaterThanOrEqual(1);
    expect(counts.truncated).toBeGreaterThanOrEqual(1);
    expect(counts.rate500).toBeGreaterThanOrEqual(1);
    expect(counts.slow).toBeGreaterThanOrEqual(6);
    expect(() => emulator.setFaults({ truncatedRate: 1.5 })).toThrow(RangeError);
    expect(() => emulator.setFaults({ timeoutMs: -1 })).toThrow(RangeError);
    expect(() => emulator.setFaults({ slowMs: Number.NaN })).toThrow(RangeError);
    expect(() => emulator.setFaults({ maxTimeouts: 0.5 })).toThrow(RangeError);
    // Without faults every request is answered whole, with no fault recorded.
    const answer = await list();
    expect(answer.status).toBe(200);
    expect(lastEntry().fault).toBeUndefined();
  });
});
