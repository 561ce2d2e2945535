import type { StreamEvent } from '../domain/streams/events.ts';
import { defineProjection } from './read-model-projection.ts';

export const streamsProjection = defineProjection<StreamEvent>({
  name: 'streams',
  tables: ['streams'],
  eventTypes: ['StreamCreated', 'StreamDeleted'],
  async apply(events, db) {
    for (const { type, data } of events) {
      if (type === 'StreamCreated') {
        await db.query('INSERT INTO streams (id, account_id, name, created_at) VALUES ($1, $2, $3, $4)', [
          data.streamId,
          data.accountId,
          data.name,
          data.createdAt,
        ]);
      } else {
        await db.query('DELETE FROM streams WHERE id = $1', [data.streamId]);
      }
    }
  },
});
