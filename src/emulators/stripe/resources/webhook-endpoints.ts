/**
 * `/v1/webhook_endpoints`: where the emulator sends its events (webhook-delivery.ts). The signing
 * secret is answered only by the create, as Stripe does; the emulator keeps it to sign.
 */

import { randomInt } from 'node:crypto';
import type { WebhookEndpoint } from '../../kit/webhook-sender.ts';
import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { OrderedIndex } from '../ordered.ts';
import { applyMetadata, type Params } from '../params.ts';
import type { Store } from '../store.ts';
import { listObject, page } from './listing.ts';

/** Stripe allows 16 webhook endpoints per account and mode. */
export const MAX_WEBHOOK_ENDPOINTS = 16;

const CREATE_PARAMS = ['api_version', 'connect', 'description', 'enabled_events', 'expand', 'metadata', 'url'];
const UPDATE_PARAMS = ['description', 'disabled', 'enabled_events', 'expand', 'metadata', 'url'];

const lifecycle = (prefix: string, extra: string[] = []) => ['created', 'updated', 'deleted', ...extra].map((e) => `${prefix}.${e}`);

/** The event types of the objects the emulator serves, as Stripe names them (`*`: every one). */
export const KNOWN_EVENT_TYPES: readonly string[] = [
  '*',
  ...lifecycle('customer'),
  ...lifecycle('customer.discount'),
  ...lifecycle('customer.source', ['expiring']),
  ...lifecycle('customer.tax_id'),
  ...lifecycle('customer.subscription', ['paused', 'resumed', 'pending_update_applied', 'pending_update_expired', 'trial_will_end']),
  ...lifecycle('product'),
  ...lifecycle('price'),
  ...lifecycle('invoice', ['finalized', 'finalization_failed', 'paid', 'payment_action_required', 'payment_failed', 'payment_succeeded', 'sent', 'upcoming', 'marked_uncollectible', 'voided', 'overdue', 'will_be_due']),
  ...['captured', 'expired', 'failed', 'pending', 'refunded', 'succeeded', 'updated'].map((e) => `charge.${e}`),
  ...['closed', 'created', 'funds_reinstated', 'funds_withdrawn', 'updated'].map((e) => `charge.dispute.${e}`),
  'charge.refund.updated',
];

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Ids and secrets come from the OS, not the seeded stream: registering must not change the seeded data. */
function randomText(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return text;
}

export class WebhookEndpoints {
  private readonly index = new OrderedIndex<JsonObject>();
  private readonly secrets = new Map<string, string>();

  constructor(private readonly store: Store) {}

  create(params: Params): JsonObject {
    params.allow(CREATE_PARAMS);
    const url = this.url(params, true)!;
    const events = this.enabledEvents(params, true)!;
    const description = params.nullableString('description', 5000) ?? null;
    const apiVersion = params.string('api_version') ?? null;
    params.bool('connect');
    const metadata = params.metadata();
    if (this.index.all().filter((e) => !e.deleted).length >= MAX_WEBHOOK_ENDPOINTS) {
      throw errors.invalidRequest(`You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} test webhook endpoints.`, 'url');
    }
    const id = `we_${randomText(24)}`;
    const secret = `whsec_${randomText(32)}`;
    const value: JsonObject = {
      id,
      object: 'webhook_endpoint',
      api_version: apiVersion,
      application: null,
      created: this.store.now(),
      description,
      enabled_events: events,
      livemode: false,
      metadata: metadata ? applyMetadata({}, metadata) : {},
      status: 'enabled',
      url,
    };
    this.index.insert(id, value['created'] as number, value);
    this.secrets.set(id, secret);
    return { ...structuredClone(value), secret };
  }

  retrieve(id: string, params: Params): JsonObject {
    params.allow(['expand']);
    return structuredClone(this.require(id).value);
  }

  update(id: string, params: Params): JsonObject {
    params.allow(UPDATE_PARAMS);
    const entry = this.require(id);
    const url = this.url(params, false);
    const events = this.enabledEvents(params, false);
    const description = params.nullableString('description', 5000);
    const disabled = params.bool('disabled');
    const metadata = params.metadata();
    const draft = structuredClone(entry.value);
    if (url !== undefined) draft['url'] = url;
    if (events !== undefined) draft['enabled_events'] = events;
    if (description !== undefined) draft['description'] = description;
    if (disabled !== undefined) draft['status'] = disabled ? 'disabled' : 'enabled';
    if (metadata) draft['metadata'] = applyMetadata(draft['metadata'] as Record<string, string>, metadata);
    entry.value = draft;
    return structuredClone(draft);
  }

  remove(id: string, params: Params): JsonObject {
    params.allow([]);
    const entry = this.require(id);
    entry.deleted = true;
    this.secrets.delete(id);
    return { id, object: 'webhook_endpoint', deleted: true };
  }

  list(params: Params): JsonObject {
    const found = page(this.index, 'webhook_endpoint', params, []);
    return listObject(found.entries.map((e) => structuredClone(e.value)), found.hasMore, '/v1/webhook_endpoints');
  }

  /** The enabled endpoints `eventType` goes to, with their secrets. */
  subscribedTo(eventType: string): WebhookEndpoint[] {
    return this.index
      .liveNewestFirst()
      .reverse()
      .filter((e) => e.value['status'] === 'enabled')
      .filter((e) => {
        const events = e.value['enabled_events'] as string[];
        return events.includes('*') || events.includes(eventType);
      })
      .map((e) => ({ id: e.id, url: e.value['url'] as string, secret: this.secrets.get(e.id)!, events: [...(e.value['enabled_events'] as string[])] }));
  }

  /** Every live endpoint with its secret (what a person reads in the dashboard). */
  all(): Array<WebhookEndpoint & { status: string }> {
    return this.index
      .liveNewestFirst()
      .reverse()
      .map((e) => ({ id: e.id, url: e.value['url'] as string, secret: this.secrets.get(e.id)!, events: [...(e.value['enabled_events'] as string[])], status: e.value['status'] as string }));
  }

  private require(id: string): { value: JsonObject; deleted: boolean } {
    const entry = this.index.get(id);
    if (!entry || entry.deleted) throw errors.resourceMissing('webhook_endpoint', id);
    return entry;
  }

  private url(params: Params, required: boolean): string | undefined {
    const url = required ? params.requiredString('url', 5000) : (params.string('url', { maxLength: 5000 }) ?? undefined);
    if (url === undefined) return undefined;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw errors.invalidRequest(`Invalid URL: ${url}`, 'url', 'url_invalid');
    return url;
  }

  private enabledEvents(params: Params, required: boolean): string[] | undefined {
    const events = params.stringArray('enabled_events');
    if (events === undefined) {
      if (required) throw errors.parameterMissing('enabled_events');
      return undefined;
    }
    if (events.length === 0) throw errors.parameterMissing('enabled_events');
    events.forEach((event, i) => {
      if (!KNOWN_EVENT_TYPES.includes(event)) throw errors.invalidEnum(`enabled_events[${i}]`, event, KNOWN_EVENT_TYPES);
    });
    return [...new Set(events)];
  }
}
