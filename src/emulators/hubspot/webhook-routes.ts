/**
 * HubSpot's webhooks API of a (legacy public) app, `/webhooks/v3/{appId}/settings` and
 * `/webhooks/v3/{appId}/subscriptions[/{id}]`: the app's one target URL and its event
 * subscriptions, authenticated with the developer account's API key (`?hapikey=`), not with a
 * credential of the account the app is installed in — which is why Syncline cannot register them.
 */

import { jsonBody, type EmulatorAnswer, type EmulatorRequest } from '../kit/http-emulator.ts';
import { hubspotError, unknownPath, validationError } from './errors.ts';
import { HUBSPOT_COLLECTIONS, SCHEMAS, type HubSpotCollection } from './schema.ts';
import type { HubSpotSubscription, HubSpotWebhooks } from './webhooks.ts';

const PATH = /^\/webhooks\/v3\/([^/]+)\/(settings|subscriptions)(?:\/([^/]+))?\/?$/;
const ACTIONS = ['creation', 'deletion', 'propertyChange', 'merge', 'restore', 'associationChange'];

const invalidJson = (): EmulatorAnswer => ({ status: 400, body: { status: 'error', message: 'Invalid input JSON on line 1', category: 'VALIDATION_ERROR' } });

const renderSubscription = (s: HubSpotSubscription) => ({
  id: String(s.id),
  eventType: s.eventType,
  ...(s.propertyName === null ? {} : { propertyName: s.propertyName }),
  active: s.active,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

function objectOf(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw validationError('Invalid input JSON: the body must be an object');
  return body as Record<string, unknown>;
}

export class WebhookRoutes {
  private settingsTimes: { createdAt: string; updatedAt: string } | null = null;
  private maxConcurrentRequests = 10;

  constructor(
    private readonly webhooks: HubSpotWebhooks,
    private readonly appId: number,
    private readonly developerApiKey: string,
  ) {}

  /** The answer, or null when the path is not a webhooks API path. */
  handle(request: EmulatorRequest): EmulatorAnswer | null {
    const match = PATH.exec(request.path);
    if (!match) return null;
    if (request.query.get('hapikey') !== this.developerApiKey) {
      throw hubspotError(401, 'INVALID_AUTHENTICATION', 'The API key provided is invalid. View or manage your API key here: https://app.hubspot.com/l/api-key/');
    }
    if (match[1] !== String(this.appId)) throw hubspotError(404, 'OBJECT_NOT_FOUND', `App ${match[1]} not found for this developer account`);
    const id = match[3];
    if (match[2] === 'settings') {
      if (id !== undefined) throw unknownPath(request.method, request.path);
      return this.settings(request);
    }
    return id === undefined ? this.subscriptionList(request) : this.subscription(request, id);
  }

  private settings(request: EmulatorRequest): EmulatorAnswer {
    switch (request.method) {
      case 'GET':
        if (this.webhooks.targetUrl === null) throw hubspotError(404, 'OBJECT_NOT_FOUND', `No webhook settings found for app ${this.appId}`);
        return { status: 200, body: this.renderSettings() };
      case 'PUT': {
        const body = objectOf(jsonBody(request, invalidJson));
        const { targetUrl, throttling } = body as { targetUrl?: unknown; throttling?: { maxConcurrentRequests?: unknown } };
        if (typeof targetUrl !== 'string' || !URL.canParse(targetUrl) || !/^https?:$/.test(new URL(targetUrl).protocol)) throw validationError('targetUrl must be an absolute URL');
        const concurrency = throttling?.maxConcurrentRequests ?? this.maxConcurrentRequests;
        if (!Number.isInteger(concurrency) || (concurrency as number) < 5) throw validationError('throttling.maxConcurrentRequests must be a number of at least 5');
        this.maxConcurrentRequests = concurrency as number;
        const now = new Date().toISOString();
        this.settingsTimes = { createdAt: this.settingsTimes?.createdAt ?? now, updatedAt: now };
        this.webhooks.targetUrl = targetUrl;
        return { status: 200, body: this.renderSettings() };
      }
      case 'DELETE':
        this.settingsTimes = null;
        this.webhooks.targetUrl = null;
        return { status: 204 };
      default:
        throw unknownPath(request.method, request.path);
    }
  }

  private subscriptionList(request: EmulatorRequest): EmulatorAnswer {
    if (request.method === 'GET') return { status: 200, body: { results: this.webhooks.subscriptions.map(renderSubscription) } };
    if (request.method !== 'POST') throw unknownPath(request.method, request.path);
    const body = objectOf(jsonBody(request, invalidJson));
    const { eventType, propertyName, active } = body as { eventType?: unknown; propertyName?: unknown; active?: unknown };
    const [object, action] = typeof eventType === 'string' ? eventType.split('.') : [];
    const known = HUBSPOT_COLLECTIONS.includes(object as HubSpotCollection) && (ACTIONS.includes(action ?? '') || eventType === 'contact.privacyDeletion');
    if (!known) throw validationError(`eventType ${JSON.stringify(eventType)} is not a supported event type`);
    if (action === 'propertyChange') {
      if (typeof propertyName !== 'string' || !SCHEMAS[object as HubSpotCollection].properties.includes(propertyName)) throw validationError(`a propertyChange subscription needs the propertyName of an existing ${object} property`);
    } else if (propertyName !== undefined) {
      throw validationError('propertyName is only allowed for propertyChange subscriptions');
    }
    if (active !== undefined && typeof active !== 'boolean') throw validationError('active must be a boolean');
    const subscription = this.webhooks.makeSubscription(eventType as string, action === 'propertyChange' ? (propertyName as string) : null, active !== false);
    this.webhooks.subscriptions.push(subscription);
    return { status: 201, body: renderSubscription(subscription) };
  }

  private subscription(request: EmulatorRequest, id: string): EmulatorAnswer {
    const index = this.webhooks.subscriptions.findIndex((s) => String(s.id) === id);
    const found = this.webhooks.subscriptions[index];
    if (!found) throw hubspotError(404, 'OBJECT_NOT_FOUND', `Subscription ${id} not found`);
    switch (request.method) {
      case 'GET':
        return { status: 200, body: renderSubscription(found) };
      case 'PATCH': {
        const { active } = objectOf(jsonBody(request, invalidJson)) as { active?: unknown };
        if (typeof active !== 'boolean') throw validationError('active must be a boolean');
        found.active = active;
        found.updatedAt = new Date().toISOString();
        return { status: 200, body: renderSubscription(found) };
      }
      case 'DELETE':
        this.webhooks.subscriptions.splice(index, 1);
        return { status: 204 };
      default:
        throw unknownPath(request.method, request.path);
    }
  }

  private renderSettings(): Record<string, unknown> {
    const now = new Date().toISOString();
    this.settingsTimes ??= { createdAt: now, updatedAt: now };
    return {
      createdAt: this.settingsTimes.createdAt,
      targetUrl: this.webhooks.targetUrl,
      throttling: { maxConcurrentRequests: this.maxConcurrentRequests, period: 'SECONDLY' },
      updatedAt: this.settingsTimes.updatedAt,
    };
  }
}
