/**
 * The newest state of the objects this session has read, per collection and bounded: Shopify's
 * destroy events carry only `subject_id`, so a tombstone carries the object's last state when the
 * session has seen it (otherwise only `{id}`).
 */
export class LastKnown {
  private readonly byCollection = new Map<string, Map<string, Record<string, unknown>>>();

  constructor(private readonly perCollection = 10_000) {}

  remember(collectionId: string, id: string, data: Record<string, unknown>): void {
    let objects = this.byCollection.get(collectionId);
    if (!objects) this.byCollection.set(collectionId, (objects = new Map()));
    objects.delete(id);
    objects.set(id, data);
    if (objects.size > this.perCollection) objects.delete(objects.keys().next().value as string);
  }

  /** The last state seen, forgotten once taken (the object is gone). */
  take(collectionId: string, id: string): Record<string, unknown> | null {
    const objects = this.byCollection.get(collectionId);
    const data = objects?.get(id) ?? null;
    objects?.delete(id);
    return data;
  }
}
