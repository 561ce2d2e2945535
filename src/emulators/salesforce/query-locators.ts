import { EmulatorError } from '../kit/http-emulator.ts';
import { withChecksum } from './ids.ts';
import { sfError } from './wire-errors.ts';

const IDLE_MS = 15 * 60_000;
const MAX_OPEN = 100;

interface Locator {
  records: Record<string, unknown>[];
  batchSize: number;
  usedAt: number;
}

export interface QueryBatch {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}

/**
 * Open query cursors: a query's result is fixed when it runs and handed out in batches
 * (`nextRecordsUrl: /services/data/v67.0/query/01g…-2000`); idle ones expire after 15 minutes.
 */
export class QueryLocators {
  private readonly open = new Map<string, Locator>();
  private counter = 0;

  constructor(private readonly apiPath: string) {}

  /** The first batch of a result, opening a locator when more remain. */
  first(records: Record<string, unknown>[], batchSize: number): QueryBatch {
    if (records.length <= batchSize) return { totalSize: records.length, done: true, records };
    this.evict();
    const id = withChecksum(`01g5g${String(++this.counter).padStart(10, '0')}`);
    this.open.set(id, { records, batchSize, usedAt: Date.now() });
    return this.batch(id, 0);
  }

  /** The batch at `{locator}-{offset}`, or Salesforce's INVALID_QUERY_LOCATOR. */
  more(ref: string): QueryBatch {
    const m = /^([0-9A-Za-z]{15,18})-(\d+)$/.exec(ref);
    const locator = m ? this.open.get(m[1] as string) : undefined;
    if (!m || !locator || Date.now() - locator.usedAt > IDLE_MS || Number(m[2]) >= locator.records.length) {
      throw new EmulatorError(sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator'));
    }
    locator.usedAt = Date.now();
    return this.batch(m[1] as string, Number(m[2]));
  }

  /** Every open locator expires (as after 15 idle minutes). */
  expireAll(): void {
    this.open.clear();
  }

  private batch(id: string, offset: number): QueryBatch {
    const locator = this.open.get(id) as Locator;
    const end = offset + locator.batchSize;
    const records = locator.records.slice(offset, end);
    if (end >= locator.records.length) {
      this.open.delete(id);
      return { totalSize: locator.records.length, done: true, records };
    }
    return { totalSize: locator.records.length, done: false, nextRecordsUrl: `${this.apiPath}/query/${id}-${end}`, records };
  }

  private evict(): void {
    const now = Date.now();
    for (const [id, l] of this.open) if (now - l.usedAt > IDLE_MS) this.open.delete(id);
    while (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value as string);
  }
}
