/**
 * Shopify's calculated query cost (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):
 * every answer's `extensions.cost.throttleStatus` tells the bucket (`currentlyAvailable` points,
 * restoring `restoreRate` a second). Before a query, the pacer waits until the bucket has
 * restored what that query last requested, so the sync does not spend requests on THROTTLED
 * answers; after a THROTTLED answer it waits for the points the query lacked.
 */

import { setTimeout as sleep } from 'node:timers/promises';

export interface QueryCost {
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  throttleStatus?: { maximumAvailable?: number; currentlyAvailable?: number; restoreRate?: number };
}

/** Longest single wait (a full standard bucket restores in 20 s). */
const MAX_WAIT_MS = 30_000;
/** The wait after a THROTTLED answer that says nothing of the bucket. */
const FALLBACK_WAIT_MS = 1_000;

export class CostPacer {
  private available: number | null = null;
  private restoreRate = 0;
  private maximum = 0;
  private at = 0;
  private readonly requested = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  afterAnswer(document: string, cost: QueryCost): void {
    if (typeof cost.requestedQueryCost === 'number') this.requested.set(document, cost.requestedQueryCost);
    const status = cost.throttleStatus;
    if (!status || typeof status.currentlyAvailable !== 'number' || typeof status.restoreRate !== 'number') return;
    this.available = status.currentlyAvailable;
    this.restoreRate = status.restoreRate;
    this.maximum = status.maximumAvailable ?? Infinity;
    this.at = this.now();
  }

  /** The ms until the bucket holds `points`, from what the last answer said. */
  waitMsFor(points: number): number {
    if (this.available === null || this.restoreRate <= 0) return 0;
    const restored = Math.min(this.maximum, this.available + ((this.now() - this.at) / 1000) * this.restoreRate);
    const missing = Math.min(points, this.maximum) - restored;
    return missing > 0 ? Math.min(MAX_WAIT_MS, Math.ceil((missing / this.restoreRate) * 1000)) : 0;
  }

  async beforeRequest(document: string): Promise<void> {
    const wait = this.waitMsFor(this.requested.get(document) ?? 0);
    if (wait > 0) await sleep(wait);
  }

  /** After THROTTLED: the time the bucket needs to restore the points the query requested. */
  throttledWaitMs(cost: QueryCost | undefined): number {
    const requested = cost?.requestedQueryCost;
    return typeof requested === 'number' && this.available !== null ? Math.max(100, this.waitMsFor(requested)) : FALLBACK_WAIT_MS;
  }
}
