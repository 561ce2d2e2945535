/**
 * The account's tickets, users and organizations. Every write gets the next change sequence
 * number: the incremental exports read in that order (which is `updated_at` order), so an export
 * cursor is a position in it. Deleted tickets stay (status `deleted`), as Zendesk keeps them in
 * its exports; deleted users stay with `active: false`.
 */

import { EmulatorError } from '../kit/http-emulator.ts';
import type { Random } from '../kit/random.ts';
import { organization, ticket, TICKET_STATUSES, user, writable, type Site, type ZendeskObject } from './objects.ts';
import { nowSeconds, zendeskTime } from './time.ts';

export const ZENDESK_COLLECTIONS = ['ticket', 'user', 'organization'] as const;
export type ZendeskCollection = (typeof ZENDESK_COLLECTIONS)[number];

export function notFound(): EmulatorError {
  return new EmulatorError({ status: 404, body: { error: 'RecordNotFound', description: 'Not found' } });
}

export function recordInvalid(field: string, message: string, error = 'InvalidValue'): EmulatorError {
  return new EmulatorError({ status: 422, body: { error: 'RecordInvalid', description: 'Record validation errors', details: { [field]: [{ description: message, error }] } } });
}

/** A write as it happened: `deleted` when a live object stopped being live (a ticket deleted, a user deactivated). */
export interface StoreChange {
  kind: ZendeskCollection;
  action: 'created' | 'updated' | 'deleted';
  object: ZendeskObject;
  /** The object before the write (null for a create). */
  previous: ZendeskObject | null;
}

/** An object with its place in the change sequence. */
export interface Stored {
  seq: number;
  object: ZendeskObject;
}

export class ZendeskStore {
  private readonly byKind: Record<ZendeskCollection, Map<number, Stored>> = { ticket: new Map(), user: new Map(), organization: new Map() };
  private seq = 0;
  /** Sees every write after seeding (the emulator's webhooks). */
  onChange: ((change: StoreChange) => void) | null = null;
  private nextIds: Record<ZendeskCollection, number> = { ticket: 1, user: 361_000_000_001, organization: 362_000_000_001 };

  constructor(
    readonly site: Site,
    private readonly random: Random,
  ) {}

  /** Live objects: not deleted tickets, active users. */
  live(kind: ZendeskCollection): ZendeskObject[] {
    return [...this.byKind[kind].values()].map((s) => s.object).filter((o) => isLive(kind, o));
  }

  /** Everything in change order (deleted tickets and inactive users too), for the exports. */
  changes(kind: ZendeskCollection): Stored[] {
    return [...this.byKind[kind].values()].sort((a, b) => a.seq - b.seq);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** A live object, or Zendesk's 404. */
  get(kind: ZendeskCollection, id: number): ZendeskObject {
    const stored = this.byKind[kind].get(id);
    if (!stored || !isLive(kind, stored.object)) throw notFound();
    return stored.object;
  }

  /** An object as `GET <plural>/{id}` answers it: deleted tickets are 404, a deleted user is still read (`active: false`). */
  read(kind: ZendeskCollection, id: number): ZendeskObject {
    const stored = this.byKind[kind].get(id);
    if (!stored || (kind === 'ticket' && !isLive(kind, stored.object))) throw notFound();
    return stored.object;
  }

  createOrganization(at = nowSeconds()): ZendeskObject {
    return this.put('organization', organization(this.site, this.nextId('organization'), at, this.random));
  }

  createUser(at = nowSeconds()): ZendeskObject {
    const orgs = this.live('organization');
    const orgId = orgs.length > 0 && this.random.chance(0.7) ? (this.random.pick(orgs).id as number) : null;
    return this.put('user', user(this.site, this.nextId('user'), at, this.random, orgId));
  }

  /** A ticket create (`input`: the `ticket` object of the request, its `comment.body` the description). */
  createTicket(input: ZendeskObject, at = nowSeconds(), seeded = false): ZendeskObject {
    const comment = input.comment && typeof input.comment === 'object' ? (input.comment as ZendeskObject) : null;
    const body = typeof comment?.body === 'string' ? comment.body : typeof comment?.html_body === 'string' ? comment.html_body : null;
    const users = this.live('user');
    const requester = typeof input.requester_id === 'number' ? this.requester(input.requester_id) : users.length > 0 ? this.random.pick(users) : null;
    const agents = users.filter((u) => u.role === 'agent');
    if (body === null && !seeded) throw recordInvalid('description', 'Description: cannot be blank', 'BlankValue');
    const fields = writable(input);
    this.checkTicketFields(fields);
    const created = ticket(this.site, this.nextId('ticket'), at, this.random, {
      requesterId: (requester?.id as number | undefined) ?? null,
      organizationId: (requester?.organization_id as number | null | undefined) ?? null,
      assigneeId: agents.length > 0 && this.random.chance(0.6) ? (this.random.pick(agents).id as number) : null,
    }, fields);
    if (body !== null) created.description = body;
    return this.put('ticket', created);
  }

  updateTicket(id: number, input: ZendeskObject, at = nowSeconds()): ZendeskObject {
    const current = this.get('ticket', id);
    if (current.status === 'closed') throw recordInvalid('status', 'Status: closed prevents ticket update', 'ClosedPreventsUpdate');
    const fields = writable(input);
    this.checkTicketFields(fields);
    const updated: ZendeskObject = { ...current, ...fields, updated_at: zendeskTime(at), generated_timestamp: at };
    if (typeof fields.subject === 'string') updated.raw_subject = fields.subject;
    return this.put('ticket', updated);
  }

  /** Soft delete: the ticket leaves every endpoint but the exports, where it shows `status: "deleted"`. */
  deleteTicket(id: number, at = nowSeconds()): void {
    const current = this.get('ticket', id);
    this.put('ticket', { ...current, status: 'deleted', updated_at: zendeskTime(at), generated_timestamp: at });
  }

  /** A write to a user or organization (or a seeding edit): new fields, new updated_at. */
  patch(kind: 'user' | 'organization', id: number, patch: ZendeskObject, at = nowSeconds()): ZendeskObject {
    const current = this.get(kind, id);
    return this.put(kind, { ...current, ...patch, id, updated_at: zendeskTime(at) });
  }

  /** Re-sequences everything in updated_at order (after seeding objects with past times). */
  resequence(): void {
    const all = ZENDESK_COLLECTIONS.flatMap((kind) => [...this.byKind[kind].values()]);
    all.sort((a, b) => Date.parse(String(a.object.updated_at)) - Date.parse(String(b.object.updated_at)) || a.seq - b.seq);
    this.seq = 0;
    for (const stored of all) stored.seq = ++this.seq;
  }

  private requester(id: number): ZendeskObject {
    const found = this.byKind.user.get(id);
    if (!found || !isLive('user', found.object)) throw recordInvalid('requester', 'Requester: is invalid');
    return found.object;
  }

  private checkTicketFields(fields: ZendeskObject): void {
    if (fields.status !== undefined && !(TICKET_STATUSES as readonly unknown[]).includes(fields.status)) {
      throw recordInvalid('status', `Status: ${String(fields.status)} is not a valid status`);
    }
    if (fields.subject !== undefined && typeof fields.subject !== 'string') throw recordInvalid('subject', 'Subject: is invalid');
    if (fields.tags !== undefined && !(Array.isArray(fields.tags) && fields.tags.every((t) => typeof t === 'string'))) throw recordInvalid('tags', 'Tags: is invalid');
  }

  private nextId(kind: ZendeskCollection): number {
    const id = this.nextIds[kind];
    this.nextIds[kind] += kind === 'ticket' ? 1 : this.random.int(1, 9);
    return id;
  }

  private put(kind: ZendeskCollection, object: ZendeskObject): ZendeskObject {
    const previous = this.byKind[kind].get(object.id as number)?.object ?? null;
    this.byKind[kind].set(object.id as number, { seq: ++this.seq, object });
    const action = previous === null ? 'created' : isLive(kind, previous) && !isLive(kind, object) ? 'deleted' : 'updated';
    this.onChange?.({ kind, action, object, previous });
    return object;
  }
}

function isLive(kind: ZendeskCollection, object: ZendeskObject): boolean {
  if (kind === 'ticket') return object.status !== 'deleted';
  if (kind === 'user') return object.active !== false;
  return true;
}
