/**
 * Drains an HTTP pull consumer (`/v1/http-consumers/{id}/next` + `/ack`) from the test process,
 * through server restarts, and keeps the books that the crash test checks:
 *
 * - a version (collection, upstream id, updated_idx) is **acked** when an ack answer came back
 *   with its token counted (not in `invalid_ack_tokens`); such a version must never be delivered
 *   again (`violations`);
 * - a version whose ack request got no answer (the server died with it in flight, or was down) is
 *   a **lost ack**: its redelivery is at-least-once working as documented, counted apart;
 * - an ack answered with the token in `invalid_ack_tokens` (lease expired or superseded first) is
 *   counted, and its redelivery too.
 */

export interface DrainFigures {
  nextCalls: number;
  nextFailures: number;
  deliveries: number;
  distinctVersions: number;
  ackCalls: number;
  ackFailures: number;
  acked: number;
  lostAckVersions: number;
  invalidAckTokens: number;
  redeliveriesAfterLostAck: number;
  redeliveriesAfterInvalidAck: number;
  otherRedeliveries: number;
  violations: number;
}

interface Delivered {
  ack_token: string;
  record: { collection_id: string; upstream_id: string; updated_idx: number | string };
}

export const versionKey = (r: { collection_id: string; upstream_id: string; updated_idx: number | string }) =>
  `${r.collection_id}|${r.upstream_id}|${String(r.updated_idx)}`;

export class HttpConsumerDrain {
  readonly acked = new Set<string>();
  readonly lostAcks = new Set<string>();
  readonly invalidAcked = new Set<string>();
  readonly delivered = new Map<string, number>();
  readonly violations: string[] = [];
  private readonly figures = {
    nextCalls: 0,
    nextFailures: 0,
    deliveries: 0,
    ackCalls: 0,
    ackFailures: 0,
    invalidAckTokens: 0,
    redeliveriesAfterLostAck: 0,
    redeliveriesAfterInvalidAck: 0,
    otherRedeliveries: 0,
  };
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  /** When the last non-empty batch arrived. */
  lastDeliveryAt = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly consumerId: string,
    private readonly options: { batchSize: number; waitForMs: number } = { batchSize: 200, waitForMs: 500 },
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  stats(): DrainFigures {
    return {
      ...this.figures,
      distinctVersions: this.delivered.size,
      acked: this.acked.size,
      lostAckVersions: this.lostAcks.size,
      violations: this.violations.length,
    };
  }

  private async post(path: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}/v1/http-consumers/${this.consumerId}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  private async run(): Promise<void> {
    while (this.running) {
      let batch: Delivered[];
      this.figures.nextCalls++;
      try {
        const answer = await this.post('/next', { batch_size: this.options.batchSize, wait_for: this.options.waitForMs });
        if (answer.status !== 200) throw new Error(`next: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
        batch = answer.body as Delivered[];
      } catch {
        // The server is down or died mid-request: a lease granted in a lost answer comes back after ack_wait_ms.
        this.figures.nextFailures++;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (batch.length === 0) continue;
      this.lastDeliveryAt = Date.now();
      for (const message of batch) this.onDelivery(message);
      await this.ack(batch);
    }
  }

  private onDelivery(message: Delivered): void {
    const key = versionKey(message.record);
    this.figures.deliveries++;
    const before = this.delivered.get(key) ?? 0;
    this.delivered.set(key, before + 1);
    if (this.acked.has(key)) {
      this.violations.push(`${key} delivered again after its ack was confirmed`);
    } else if (this.lostAcks.has(key)) {
      this.figures.redeliveriesAfterLostAck++;
    } else if (this.invalidAcked.has(key)) {
      this.figures.redeliveriesAfterInvalidAck++;
    } else if (before > 0) {
      this.figures.otherRedeliveries++;
    }
  }

  private async ack(batch: Delivered[]): Promise<void> {
    const byToken = new Map(batch.map((m) => [m.ack_token, versionKey(m.record)]));
    this.figures.ackCalls++;
    let answer: { status: number; body: any };
    try {
      answer = await this.post('/ack', { ack_tokens: [...byToken.keys()] });
    } catch {
      // No answer: the ack may or may not have been applied (documented at-least-once).
      this.figures.ackFailures++;
      for (const key of byToken.values()) this.lostAcks.add(key);
      return;
    }
    if (answer.status !== 200) {
      this.figures.ackFailures++;
      for (const key of byToken.values()) this.lostAcks.add(key);
      return;
    }
    const invalid = new Set<string>(answer.body.invalid_ack_tokens ?? []);
    if (answer.body.acked !== byToken.size - invalid.size) {
      this.violations.push(`ack answered acked=${answer.body.acked} for ${byToken.size} tokens with ${invalid.size} invalid`);
    }
    for (const [token, key] of byToken) {
      if (invalid.has(token)) {
        this.figures.invalidAckTokens++;
        this.invalidAcked.add(key);
      } else {
        this.acked.add(key);
      }
    }
  }
}
