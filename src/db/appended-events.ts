/**
 * Where an event appended in this process landed (stream and position), keyed by the event's
 * data object, for inline projections that read big payloads back from `emt_messages` in the
 * same transaction instead of receiving them a second time as a parameter (records.ts).
 */
const positions = new WeakMap<object, { stream: string; position: bigint }>();

export function rememberAppended(data: object, stream: string, position: bigint): void {
  positions.set(data, { stream, position });
}

export function appendedAt(data: object): { stream: string; position: bigint } | undefined {
  return positions.get(data);
}
