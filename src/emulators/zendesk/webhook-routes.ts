/**
 * Zendesk's Webhooks API and ticket Triggers API, as far as a webhook registration needs them:
 * `POST|GET /api/v2/webhooks`, `GET|DELETE /api/v2/webhooks/{id}`, `GET|POST
 * /api/v2/webhooks/{id}/signing_secret` (show, reset), `POST|GET /api/v2/triggers(.json)`,
 * `GET|DELETE /api/v2/triggers/{id}(.json)`. The Webhooks API answers errors as
 * `{"errors": [{code, title, detail}]}`, the Triggers API as `{"error", "description", "details"}`.
 */

import { randomBytes } from 'node:crypto';
import { EmulatorError, jsonBody, type EmulatorAnswer, type EmulatorRequest } from '../kit/http-emulator.ts';
import type { Random } from '../kit/random.ts';
import type { ZendeskObject } from './objects.ts';
import { notFound, recordInvalid } from './store.ts';
import { nowSeconds, zendeskTime } from './time.ts';

/** A webhook connected to triggers and automations rather than to event subscriptions. */
export const CONDITIONAL_TICKET_EVENTS = 'conditional_ticket_events';

export interface StoredWebhook {
  id: string;
  name: string;
  description: string | null;
  endpoint: string;
  http_method: string;
  request_format: string;
  status: 'active' | 'inactive';
  subscriptions: string[];
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  secret: string;
}

export interface StoredTrigger {
  id: number;
  title: string;
  description: string | null;
  active: boolean;
  position: number;
  conditions: { all: TriggerCondition[]; any: TriggerCondition[] };
  actions: { field: string; value: unknown }[];
  created_at: string;
  updated_at: string;
}

export interface TriggerCondition {
  field: string;
  operator: string;
  value: unknown;
}

const WEBHOOKS = /^\/api\/v2\/webhooks(?:\/([0-9A-Z]+))?(\/signing_secret)?$/;
const TRIGGERS = /^\/api\/v2\/triggers(?:\/(\d+))?(?:\.json)?$/;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const REQUEST_FORMATS = ['json', 'xml', 'form_encoded'];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const webhookError = (status: number, code: string, title: string, detail: string): EmulatorError =>
  new EmulatorError({ status, body: { errors: [{ code, title, detail }] } });

const isObject = (value: unknown): value is ZendeskObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export class ZendeskWebhookRoutes {
  private readonly webhookById = new Map<string, StoredWebhook>();
  private readonly triggerById = new Map<number, StoredTrigger>();
  private nextTriggerId = 360_100_000_001;

  constructor(
    private readonly random: Random,
    /** The id of the agent the API token or OAuth token acts as (the `created_by` of what it makes). */
    private readonly actorId: () => string,
  ) {}

  get webhooks(): readonly StoredWebhook[] {
    return [...this.webhookById.values()];
  }

  get triggers(): readonly StoredTrigger[] {
    return [...this.triggerById.values()].sort((a, b) => a.position - b.position);
  }

  webhook(id: string): StoredWebhook | undefined {
    return this.webhookById.get(id);
  }

  handle(request: EmulatorRequest): EmulatorAnswer | null {
    const webhook = WEBHOOKS.exec(request.path);
    if (webhook) return this.webhookRoute(request, webhook[1] ?? null, webhook[2] !== undefined);
    const trigger = TRIGGERS.exec(request.path);
    if (trigger) return this.triggerRoute(request, trigger[1] === undefined ? null : Number(trigger[1]));
    return null;
  }

  private webhookRoute(request: EmulatorRequest, id: string | null, signingSecret: boolean): EmulatorAnswer {
    if (id === null) {
      if (request.method === 'POST') return { status: 201, body: { webhook: this.present(this.createWebhook(request)) } };
      if (request.method === 'GET') return { status: 200, body: { webhooks: this.webhooks.map((w) => this.present(w)), meta: { has_more: false, after_cursor: null, before_cursor: null }, links: { next: null, prev: null } } };
      throw notFound();
    }
    const webhook = this.webhookById.get(id);
    if (!webhook) throw webhookError(404, 'WebhookNotFound', 'Webhook not found', `Webhook ${id} not found`);
    if (signingSecret) {
      // GET shows the secret, POST resets it (deliveries are signed with the new one from then on).
      if (request.method === 'POST') webhook.secret = newSecret();
      else if (request.method !== 'GET') throw notFound();
      return { status: request.method === 'POST' ? 201 : 200, body: { signing_secret: { algorithm: 'sha256', secret: webhook.secret } } };
    }
    if (request.method === 'GET') return { status: 200, body: { webhook: this.present(webhook) } };
    if (request.method === 'DELETE') {
      this.webhookById.delete(id);
      return { status: 204 };
    }
    throw notFound();
  }

  private createWebhook(request: EmulatorRequest): StoredWebhook {
    const body = jsonBody(request, () => ({ status: 400, body: { errors: [{ code: 'InvalidJson', title: 'Invalid JSON', detail: 'The request body is not valid JSON' }] } }));
    const input = isObject(body) && isObject(body.webhook) ? body.webhook : null;
    if (!input) throw webhookError(400, 'MissingParameter', 'Missing parameter', 'webhook is required');
    const text = (field: string): string => {
      const value = input[field];
      if (typeof value !== 'string' || value.trim() === '') throw webhookError(400, 'InvalidValue', 'Invalid value', `${field} is required`);
      return value;
    };
    const name = text('name');
    const endpoint = text('endpoint');
    const httpMethod = text('http_method').toUpperCase();
    const requestFormat = text('request_format');
    const status = text('status');
    if (!/^https?:\/\//.test(endpoint) || !URL.canParse(endpoint)) throw webhookError(400, 'InvalidValue', 'Invalid value', 'endpoint must be an http or https URL');
    if (!HTTP_METHODS.includes(httpMethod)) throw webhookError(400, 'InvalidValue', 'Invalid value', `http_method must be one of ${HTTP_METHODS.join(', ')}`);
    if (!REQUEST_FORMATS.includes(requestFormat)) throw webhookError(400, 'InvalidValue', 'Invalid value', `request_format must be one of ${REQUEST_FORMATS.join(', ')}`);
    if (status !== 'active' && status !== 'inactive') throw webhookError(400, 'InvalidValue', 'Invalid value', 'status must be active or inactive');
    const subscriptions = input.subscriptions === undefined ? [] : input.subscriptions;
    if (!Array.isArray(subscriptions) || !subscriptions.every((s) => typeof s === 'string' && s !== '')) throw webhookError(400, 'InvalidValue', 'Invalid value', 'subscriptions must be an array of event types');
    const events = subscriptions as string[];
    // Zendesk: a webhook is connected either to triggers/automations or to event subscriptions.
    if (events.includes(CONDITIONAL_TICKET_EVENTS) && events.length > 1) {
      throw webhookError(400, 'InvalidValue', 'Invalid value', `${CONDITIONAL_TICKET_EVENTS} cannot be combined with event subscriptions`);
    }
    const eventSubscribed = events.length > 0 && !events.includes(CONDITIONAL_TICKET_EVENTS);
    if (eventSubscribed && (httpMethod !== 'POST' || requestFormat !== 'json')) {
      throw webhookError(400, 'InvalidValue', 'Invalid value', 'a webhook subscribed to Zendesk events must use POST and json');
    }
    const unknown = events.find((event) => event !== CONDITIONAL_TICKET_EVENTS && !/^zen:event-type:[a-z_]+\.[a-z_]+$/.test(event));
    if (unknown !== undefined) throw webhookError(400, 'InvalidValue', 'Invalid value', `${unknown} is not a supported event type`);
    const now = zendeskTime(nowSeconds());
    const webhook: StoredWebhook = {
      id: this.ulid(),
      name,
      description: typeof input.description === 'string' ? input.description : null,
      endpoint,
      http_method: httpMethod,
      request_format: requestFormat,
      status,
      subscriptions: events,
      created_at: now,
      created_by: this.actorId(),
      updated_at: now,
      updated_by: this.actorId(),
      secret: newSecret(),
    };
    this.webhookById.set(webhook.id, webhook);
    return webhook;
  }

  /** A webhook as the API answers it (the signing secret only through its own endpoint). */
  private present(webhook: StoredWebhook): ZendeskObject {
    const { secret: _secret, ...shown } = webhook;
    return shown;
  }

  private triggerRoute(request: EmulatorRequest, id: number | null): EmulatorAnswer {
    if (id === null) {
      if (request.method === 'POST') return { status: 201, body: { trigger: this.presentTrigger(request, this.createTrigger(request)) } };
      if (request.method === 'GET') return { status: 200, body: { triggers: this.triggers.map((t) => this.presentTrigger(request, t)), next_page: null, previous_page: null, count: this.triggerById.size } };
      throw notFound();
    }
    const trigger = this.triggerById.get(id);
    if (!trigger) throw notFound();
    if (request.method === 'GET') return { status: 200, body: { trigger: this.presentTrigger(request, trigger) } };
    if (request.method === 'DELETE') {
      this.triggerById.delete(id);
      return { status: 204 };
    }
    throw notFound();
  }

  private createTrigger(request: EmulatorRequest): StoredTrigger {
    const body = jsonBody(request, () => ({ status: 400, body: { error: 'Unprocessable Entity', description: 'Server could not parse JSON' } }));
    const input = isObject(body) && isObject(body.trigger) ? body.trigger : null;
    if (!input) throw new EmulatorError({ status: 400, body: { error: 'InvalidEndpoint', description: 'Parameter trigger is required' } });
    if (typeof input.title !== 'string' || input.title.trim() === '') throw recordInvalid('title', 'Title: cannot be blank', 'BlankValue');
    const conditions = isObject(input.conditions) ? input.conditions : null;
    const all = conditions ? this.conditionList(conditions.all) : null;
    const any = conditions ? this.conditionList(conditions.any) : null;
    if (!all || !any || all.length + any.length === 0) throw recordInvalid('conditions', 'Conditions: must have at least one condition');
    const actions = Array.isArray(input.actions) ? input.actions : [];
    if (actions.length === 0 || !actions.every((a) => isObject(a) && typeof a.field === 'string')) throw recordInvalid('actions', 'Actions: must have at least one action');
    for (const action of actions as { field: string; value: unknown }[]) {
      if (action.field !== 'notification_webhook') continue;
      const value = action.value;
      const webhook = Array.isArray(value) && typeof value[0] === 'string' ? this.webhookById.get(value[0]) : undefined;
      if (!Array.isArray(value) || value.length !== 2 || typeof value[1] !== 'string' || !webhook) {
        throw recordInvalid('actions', 'Actions: notification_webhook needs [webhook id, body] of an existing webhook');
      }
      if (!webhook.subscriptions.includes(CONDITIONAL_TICKET_EVENTS)) throw recordInvalid('actions', 'Actions: the webhook is subscribed to Zendesk events and cannot be used by a trigger');
    }
    const now = zendeskTime(nowSeconds());
    const trigger: StoredTrigger = {
      id: this.nextTriggerId++,
      title: input.title,
      description: typeof input.description === 'string' ? input.description : null,
      active: input.active !== false,
      position: typeof input.position === 'number' ? input.position : this.triggerById.size + 1,
      conditions: { all, any },
      actions: actions as { field: string; value: unknown }[],
      created_at: now,
      updated_at: now,
    };
    this.triggerById.set(trigger.id, trigger);
    return trigger;
  }

  private conditionList(value: unknown): TriggerCondition[] | null {
    if (value === undefined) return [];
    if (!Array.isArray(value)) return null;
    const valid = value.every((c) => isObject(c) && typeof c.field === 'string' && typeof c.operator === 'string');
    return valid ? (value as TriggerCondition[]) : null;
  }

  private presentTrigger(request: EmulatorRequest, trigger: StoredTrigger): ZendeskObject {
    return { url: `${request.baseUrl}/api/v2/triggers/${trigger.id}.json`, ...trigger, raw_title: trigger.title, default: false, category_id: null };
  }

  /** Zendesk's webhook ids are ULIDs (`01F1KRFQ6BG29CNWFR60NK5FNY`). */
  private ulid(): string {
    const time = Date.now().toString(32).toUpperCase().padStart(10, '0');
    const time32 = [...time].map((c) => CROCKFORD[parseInt(c, 32)]).join('');
    return `${time32}${Array.from({ length: 16 }, () => CROCKFORD[this.random.int(0, 31)]).join('')}`;
  }
}

/** Zendesk's signing secrets are 32 random bytes in base64. */
function newSecret(): string {
  return randomBytes(32).toString('base64');
}
