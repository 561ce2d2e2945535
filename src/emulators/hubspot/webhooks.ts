/**
 * The HubSpot emulator's webhooks, as HubSpot sends an app's CRM subscriptions: the events of the
 * changes the store makes, batched (at most 100 events per request) into a JSON array POSTed to
 * the app's target URL (and to `--webhook-url`), signed with the app's client secret
 * (`X-HubSpot-Signature-v3` + `X-HubSpot-Request-Timestamp`, and the older v1 `X-HubSpot-Signature`),
 * retried on any non-2xx, a timeout (5 s) or a refused connection up to 10 times (HubSpot spreads
 * them over 24 hours; the emulator over seconds).
 */

import { createHash, createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { WebhookSender, type WebhookEndpoint } from '../kit/webhook-sender.ts';
import { HUBSPOT_COLLECTIONS } from './schema.ts';
import type { StoreChange } from './store.ts';

/** HubSpot's 10 retries over 24 hours, scaled down to about a minute. */
export const HUBSPOT_RETRY_DELAYS_MS = [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 15_000, 20_000];
/** HubSpot gives an endpoint 5 seconds to answer a batch. */
const DELIVERY_TIMEOUT_MS = 5_000;
const MAX_EVENTS_PER_REQUEST = 100;

/** Where a change came from, as events' `changeSource` says it. */
export type ChangeSource = 'API' | 'CRM_UI';

/** One subscription of the app's webhook settings (`/webhooks/v3/{appId}/subscriptions`). */
export interface HubSpotSubscription {
  id: number;
  /** e.g. `contact.creation`, `deal.propertyChange`. */
  eventType: string;
  /** For `*.propertyChange`: the property it watches (null: every property, an emulator convenience). */
  propertyName: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Every event type the emulator sends, per object. */
export function emulatedEventTypes(): string[] {
  return HUBSPOT_COLLECTIONS.flatMap((c) => [`${c}.creation`, `${c}.propertyChange`, `${c}.deletion`]);
}

/** `method + uri + body + timestamp`, the URI with the percent-encodings HubSpot's docs list decoded. */
function signatureV3(secret: string, url: string, body: string, timestamp: string): string {
  const uri = url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (encoded) => decodeURIComponent(encoded));
  return createHmac('sha256', secret).update(`POST${uri}${body}${timestamp}`, 'utf8').digest('base64');
}

/** The headers HubSpot puts on one attempt: signed afresh, so a retry hours later still passes the 5-minute check. */
export function hubspotWebhookHeaders(secret: string, url: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(nowMs);
  return {
    'X-HubSpot-Signature': createHash('sha256').update(`${secret}${body}`, 'utf8').digest('hex'),
    'X-HubSpot-Signature-Version': 'v1',
    'X-HubSpot-Signature-v3': signatureV3(secret, url, body, timestamp),
    'X-HubSpot-Request-Timestamp': timestamp,
  };
}

export interface HubSpotWebhooksOptions {
  appId: number;
  portalId: number;
  /** The app's client secret: every delivery is signed with it. */
  secret: string;
  /** `--webhook-url`: subscribed to every event the emulator sends. */
  cliUrl?: string;
  retryDelaysMs?: number[];
  logger?: Logger;
}

/**
 * The kit's sender, except that `settled()` first sends the events still waiting for the end of
 * the current task: whoever waits for the webhooks of a change just made gets them.
 */
class BatchingWebhookSender extends WebhookSender {
  constructor(
    options: ConstructorParameters<typeof WebhookSender>[0],
    private readonly flushWaiting: () => void,
  ) {
    super(options);
  }

  override async settled(): Promise<void> {
    this.flushWaiting();
    await super.settled();
  }
}

interface Target {
  endpoint: WebhookEndpoint;
  subscriptions: () => HubSpotSubscription[];
  queue: Record<string, unknown>[];
}

export class HubSpotWebhooks {
  readonly sender: WebhookSender;
  /** The app's webhook settings: its one target URL and its subscriptions. */
  targetUrl: string | null = null;
  readonly subscriptions: HubSpotSubscription[] = [];
  private source: ChangeSource = 'API';
  private nextEventId = 3_000_000_001;
  private nextSubscriptionId = 1_600_001;
  private readonly cliSubscriptions: HubSpotSubscription[];
  private flushScheduled = false;
  private readonly targets = new Map<string, Target>();

  constructor(private readonly options: HubSpotWebhooksOptions) {
    this.sender = new BatchingWebhookSender(
      {
        retryDelaysMs: options.retryDelaysMs ?? HUBSPOT_RETRY_DELAYS_MS,
        timeoutMs: DELIVERY_TIMEOUT_MS,
        ...(options.logger ? { logger: options.logger } : {}),
      },
      () => this.flush(),
    );
    this.cliSubscriptions = emulatedEventTypes().map((eventType) => this.makeSubscription(eventType, null));
  }

  get secret(): string {
    return this.options.secret;
  }

  /** Runs `change` with its events marked as made in HubSpot's own UI (the random mutator) rather than through the API. */
  during<T>(source: ChangeSource, change: () => T): T {
    const previous = this.source;
    this.source = source;
    try {
      return change();
    } finally {
      this.source = previous;
    }
  }

  makeSubscription(eventType: string, propertyName: string | null, active = true): HubSpotSubscription {
    const now = new Date().toISOString();
    return { id: this.nextSubscriptionId++, eventType, propertyName, active, createdAt: now, updatedAt: now };
  }

  /** What a person does in the app's settings: sets the target URL and subscribes to every event the emulator sends (unless already subscribed). */
  subscribe(url: string, eventTypes: string[] = emulatedEventTypes()): void {
    this.targetUrl = url;
    for (const eventType of eventTypes) {
      if (!this.subscriptions.some((s) => s.eventType === eventType && s.propertyName === null)) this.subscriptions.push(this.makeSubscription(eventType, null));
    }
  }

  /** The events of one store change, queued for every target subscribed to it; sent together once the current task ends. */
  record(change: StoreChange): void {
    for (const target of this.currentTargets()) {
      const subscription = target.subscriptions().find((s) => s.active && s.eventType === `${change.collection}.${change.kind}` && (change.kind !== 'propertyChange' || s.propertyName === null || s.propertyName === change.propertyName));
      if (subscription) target.queue.push(this.event(change, subscription));
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** A delivery's body and headers as HubSpot would send it to `url` for these changes (tests forge and replay with it). */
  request(url: string, changes: StoreChange[], secret = this.options.secret): { headers: Record<string, string>; body: string } {
    const subscriptionOf = (eventType: string) => this.subscriptions.find((s) => s.eventType === eventType) ?? this.cliSubscriptions.find((s) => s.eventType === eventType);
    const body = JSON.stringify(changes.map((change) => this.event(change, subscriptionOf(`${change.collection}.${change.kind}`) ?? this.makeSubscription(`${change.collection}.${change.kind}`, null))));
    return { headers: { 'content-type': 'application/json', ...hubspotWebhookHeaders(secret, url, body) }, body };
  }

  async close(): Promise<void> {
    await this.sender.close();
  }

  private currentTargets(): Target[] {
    const wanted: Array<{ id: string; url: string; subscriptions: () => HubSpotSubscription[] }> = [];
    if (this.options.cliUrl) wanted.push({ id: 'cli', url: this.options.cliUrl, subscriptions: () => this.cliSubscriptions });
    if (this.targetUrl) wanted.push({ id: `app-${this.options.appId}`, url: this.targetUrl, subscriptions: () => this.subscriptions });
    return wanted.map(({ id, url, subscriptions }) => {
      let target = this.targets.get(id);
      if (!target || target.endpoint.url !== url) {
        target = { endpoint: { id, url, secret: this.options.secret, events: [] }, subscriptions, queue: target?.queue ?? [] };
        this.targets.set(id, target);
      }
      return target;
    });
  }

  private event(change: StoreChange, subscription: HubSpotSubscription): Record<string, unknown> {
    return {
      eventId: this.nextEventId++,
      subscriptionId: subscription.id,
      portalId: this.options.portalId,
      appId: this.options.appId,
      occurredAt: change.atMs,
      subscriptionType: `${change.collection}.${change.kind}`,
      attemptNumber: 0,
      objectId: Number(change.id),
      ...(change.kind === 'propertyChange' ? { propertyName: change.propertyName, propertyValue: change.propertyValue ?? '' } : {}),
      changeSource: this.source,
      ...(change.kind === 'creation' ? { changeFlag: 'NEW' } : change.kind === 'deletion' ? { changeFlag: 'DELETED' } : {}),
    };
  }

  private flush(): void {
    for (const target of this.targets.values()) {
      const events = target.queue.splice(0);
      for (let start = 0; start < events.length; start += MAX_EVENTS_PER_REQUEST) {
        const batch = events.slice(start, start + MAX_EVENTS_PER_REQUEST);
        const { endpoint } = target;
        // HubSpot counts its retries in each event's attemptNumber (0 on the first attempt).
        const body = (attempt: number) => JSON.stringify(batch.map((event) => ({ ...event, attemptNumber: attempt - 1 })));
        this.sender.send({ endpoint, deliveryId: createHash('sha256').update(body(1)).digest('hex').slice(0, 24), body, sign: (_attempt, signed) => hubspotWebhookHeaders(endpoint.secret, endpoint.url, signed) });
      }
    }
  }
}
