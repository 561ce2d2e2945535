import type { Event } from '@event-driven-io/emmett';
import type pg from 'pg';
import type { ReadModelProjection } from './read-model-projection.ts';

const BATCH = 1000;

/**
 * Empties the given read models and replays the whole event log into them, in global order,
 * in one transaction: readers see either the old or the rebuilt models, never a half state.
 */
export async function rebuildReadModels(pool: pg.Pool, projections: ReadModelProjection<Event>[]): Promise<{ events: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const tables = projections.flatMap((p) => p.tables);
    await client.query(`TRUNCATE ${tables.join(', ')} CASCADE`);
    let after = 0n;
    let count = 0;
    for (;;) {
      const { rows } = await client.query<{ global_position: string; stream_id: string; stream_position: string; message_type: string; message_data: Record<string, unknown> }>(
        `SELECT global_position, stream_id, stream_position, message_type, message_data FROM emt_messages
         WHERE global_position > $1 AND message_kind = 'E' AND NOT is_archived
         ORDER BY global_position LIMIT $2`,
        [after.toString(), BATCH],
      );
      if (rows.length === 0) break;
      // The metadata Emmett gives the events it reads: projections that refer to an event's place in the log use it.
      const events = rows.map(
        (r) =>
          ({
            type: r.message_type,
            data: r.message_data,
            metadata: { streamName: r.stream_id, streamPosition: BigInt(r.stream_position), globalPosition: BigInt(r.global_position) },
          }) as Event,
      );
      for (const projection of projections) {
        const handled = events.filter((e) => (projection.eventTypes as readonly string[]).includes(e.type));
        if (handled.length > 0) await projection.apply(handled, client);
      }
      count += rows.length;
      after = BigInt(rows[rows.length - 1]!.global_position);
    }
    await client.query('COMMIT');
    return { events: count };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
