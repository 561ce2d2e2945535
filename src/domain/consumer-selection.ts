/**
 * What every consumer kind (HTTP pull, NATS, webhook, PostgreSQL) reads of its stream, and where
 * it starts (DESIGN.md §7b). Plain data, carried by each kind's events.
 */

/** Which records of the stream: all of them, or narrowed by sync, collections and provider. */
export interface RecordSelection {
  streamId: string;
  /** null: every sync of the stream. */
  syncId: string | null;
  /** null: every collection; else only these (`provider:object`). */
  collectionIds: string[] | null;
  /** null: every provider; else only collections `<provider>:…`. */
  provider: string | null;
}

export type DeliverPolicy = 'all' | 'new' | 'by_start_time' | 'by_start_idx';

/** Where delivery starts (at creation) or starts again (a reset). */
export type StartPosition =
  | { deliverPolicy: 'all' }
  /** The stream's head when the consumer is created or reset. */
  | { deliverPolicy: 'new' }
  /** Record versions written at or after this time. */
  | { deliverPolicy: 'by_start_time'; optStartTime: string }
  /** Record versions at or after this stream position. */
  | { deliverPolicy: 'by_start_idx'; optStartIdx: string };

/** A start position's option as events and read models store it: one column per option, null when the policy takes none. */
export function startOptions(start: StartPosition): { optStartTime: string | null; optStartIdx: string | null } {
  return {
    optStartTime: start.deliverPolicy === 'by_start_time' ? start.optStartTime : null,
    optStartIdx: start.deliverPolicy === 'by_start_idx' ? start.optStartIdx : null,
  };
}
