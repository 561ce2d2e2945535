import { isExpectedVersionConflictError } from '@event-driven-io/emmett';

/**
 * A checkpoint appended in the page's transaction can meet another collection's checkpoint of
 * the same sync appended through Emmett at that instant; the whole transaction rolled back, so
 * running it again is safe (its changes are recomputed against what is stored).
 */
export async function retriedOnVersionConflict<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isExpectedVersionConflictError(error) || attempt >= 5) throw error;
    }
  }
}
