/** Seeding and the random changes a Zendesk account goes through. */

import type { ChangesMade } from '../kit/provider-emulator.ts';
import type { Random } from '../kit/random.ts';
import { pickTags, TICKET_PRIORITIES, type ZendeskObject } from './objects.ts';
import type { ZendeskCollection, ZendeskStore } from './store.ts';
import { nowSeconds } from './time.ts';

const OPEN_FLOW: Record<string, string[]> = { new: ['open'], open: ['pending', 'hold', 'solved'], pending: ['open', 'solved'], hold: ['open'], solved: ['open', 'closed'] };

function ticketPatch(ticket: ZendeskObject, random: Random): ZendeskObject {
  const next = OPEN_FLOW[String(ticket.status)];
  if (next && random.chance(0.5)) return { status: random.pick(next) };
  return random.pick<ZendeskObject>([{ priority: random.pick(TICKET_PRIORITIES) }, { tags: pickTags(random) }, { subject: `${String(ticket.subject)} (again)` }]);
}

/** Seeds organizations, then users in them, then tickets they requested, over the last year; a fifth edited since. */
export function seed(store: ZendeskStore, random: Random, counts: Record<ZendeskCollection, number>, now = nowSeconds()): void {
  const from = now - 365 * 86_400;
  const until = now - 2 * 86_400;
  const total = Math.max(1, counts.organization + counts.user + counts.ticket);
  let i = 0;
  const at = () => from + Math.floor(((until - from) * i++) / total);
  for (let n = 0; n < counts.organization; n++) store.createOrganization(at());
  for (let n = 0; n < counts.user; n++) store.createUser(at());
  for (let n = 0; n < counts.ticket; n++) store.createTicket({}, at(), true);
  const editAt = () => random.int(until, now - 3_600);
  for (const ticket of store.live('ticket')) {
    if (random.chance(0.2)) store.updateTicket(ticket.id as number, ticketPatch(ticket, random), editAt());
  }
  for (const user of store.live('user')) if (random.chance(0.1)) store.patch('user', user.id as number, { tags: pickTags(random) }, editAt());
  store.resequence();
}

/**
 * n random changes over `collections`: tickets are created, updated and deleted (a deleted ticket
 * stays in the export with status `deleted`); users and organizations are updated, and now and
 * then a user is deleted (it stays in the user export with `active: false`).
 */
export function mutateRandomly(store: ZendeskStore, random: Random, n: number, collections: readonly ZendeskCollection[]): ChangesMade {
  const made: ChangesMade = { created: [], updated: [], deleted: [] };
  for (let i = 0; i < n; i++) {
    const kind = random.pick(collections);
    const existing = store.live(kind).filter((o) => kind !== 'ticket' || o.status !== 'closed');
    const roll = random.next();
    if (kind === 'ticket') {
      if (existing.length === 0 || roll < 0.35) {
        made.created.push(String(store.createTicket({ comment: { body: 'Something is broken again.' } }).id));
      } else if (roll < 0.8) {
        const ticket = random.pick(existing);
        store.updateTicket(ticket.id as number, ticketPatch(ticket, random));
        made.updated.push(String(ticket.id));
      } else {
        const ticket = random.pick(existing);
        store.deleteTicket(ticket.id as number);
        made.deleted.push(String(ticket.id));
      }
      continue;
    }
    if (existing.length === 0) continue;
    const object = random.pick(existing);
    if (kind === 'user' && roll < 0.1 && existing.length > 1) {
      store.patch('user', object.id as number, { active: false });
      made.deleted.push(String(object.id));
    } else if (kind === 'user') {
      store.patch('user', object.id as number, random.pick<ZendeskObject>([{ tags: pickTags(random) }, { notes: random.pick(['Prefers phone', 'VIP', 'Churn risk', null]) }, { time_zone: random.pick(['UTC', 'Pacific Time (US & Canada)', 'Berlin']) }]));
      made.updated.push(String(object.id));
    } else {
      store.patch('organization', object.id as number, random.pick<ZendeskObject>([{ tags: pickTags(random) }, { notes: random.pick(['Renewal in Q3', 'Key account', null]) }, { shared_tickets: random.chance(0.5) }]));
      made.updated.push(String(object.id));
    }
  }
  return made;
}
