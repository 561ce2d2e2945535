import type { StripeEmulator } from '../../../src/emulators/stripe/index.ts';

export interface EmulatorEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

/** Every event of the emulator's feed, newest first. */
export async function emulatorEvents(emulator: StripeEmulator): Promise<EmulatorEvent[]> {
  const events: EmulatorEvent[] = [];
  let startingAfter = '';
  for (;;) {
    const page = await fetch(`${emulator.url}/v1/events?limit=100${startingAfter ? `&starting_after=${startingAfter}` : ''}`, {
      headers: { authorization: `Bearer ${emulator.apiKey}` },
    }).then((r) => r.json() as Promise<{ data: EmulatorEvent[]; has_more: boolean }>);
    events.push(...page.data);
    if (!page.has_more || page.data.length === 0) return events;
    startingAfter = page.data.at(-1)!.id;
  }
}
