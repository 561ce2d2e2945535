import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/emulators/hubspot/index.ts';
import { encodeChangesCursor, initialChangesCursor } from '../../src/sync/providers/hubspot/changes-cursor.ts';
import { hubspotCollection } from '../../src/sync/providers/hubspot/collections.ts';
import { hubspotProvider } from '../../src/sync/providers/hubspot/index.ts';
import { WebhookInbox, type ArrivedRequest } from '../support/webhook-inbox.ts';

/** Waits until the events of the changes made so far were delivered (settled() also sends the batch still waiting for the end of the task). */
const delivered = (emulator: HubSpotEmulator): Promise<void> => emulator.webhooks.settled();

type HubSpotEvent = Record<string, unknown>;

const verify = (received: ArrivedRequest, url: string, secret: string) =>
  hubspotProvider.webhooks!.verify({ method: 'POST', url, headers: received.headers, rawBody: received.rawBody }, secret, new Date());

let emulator: HubSpotEmulator | undefined;
let receiver: WebhookInbox | undefined;
afterEach(async () => {
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
});

describe('HubSpot emulator: webhooks', () => {
  it('takes the app\'s target URL and subscriptions through the webhooks API, then delivers a signed batch of each API change', async () => {
    // The query's %3A is one of the characters HubSpot decodes before signing.
    receiver = new WebhookInbox('/hooks/hubspot?source=app%3Asyncline');
    await receiver.start();
    emulator = await startHubSpotEmulator({ seed: { contact: 5, company: 0, deal: 0 }, searchRateLimit: null });
    const api = (method: string, path: string, body?: unknown, key: string | null = emulator!.developerApiKey) =>
      fetch(`${emulator!.url}${path}${key === null ? '' : `?hapikey=${key}`}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const base = `/webhooks/v3/${emulator.appId}`;

    expect((await api('PUT', `${base}/settings`, { targetUrl: receiver.url }, null)).status).toBe(401);
    expect((await api('PUT', `/webhooks/v3/999/settings`, { targetUrl: receiver.url })).status).toBe(404);
    expect((await api('GET', `${base}/settings`)).status).toBe(404);
    const settings = await api('PUT', `${base}/settings`, { targetUrl: receiver.url, throttling: { maxConcurrentRequests: 10, period: 'SECONDLY' } });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ targetUrl: receiver.url, throttling: { maxConcurrentRequests: 10 } });
    const noProperty = await api('POST', `${base}/subscriptions`, { eventType: 'contact.propertyChange', active: true });
    expect(noProperty.status).toBe(400);
    expect(await noProperty.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    for (const subscription of [{ eventType: 'contact.creation' }, { eventType: 'contact.propertyChange', propertyName: 'lastname' }, { eventType: 'contact.deletion' }]) {
      expect((await api('POST', `${base}/subscriptions`, { ...subscription, active: true })).status).toBe(201);
    }
    const listed = (await (await api('GET', `${base}/subscriptions`)).json()) as { results: Array<Record<string, unknown>> };
    expect(listed.results.map((s) => [s.eventType, s.propertyName ?? null, s.active])).toEqual([
      ['contact.creation', null, true],
      ['contact.propertyChange', 'lastname', true],
      ['contact.deletion', null, true],
    ]);

    const crm = (method: string, path: string, body?: unknown) =>
      fetch(`${emulator!.url}/crm/v3/objects/contacts${path}`, { method, headers: { authorization: `Bearer ${emulator!.privateAppToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const target = emulator.objects('contact')[0]!.id as string;
    // jobtitle has no subscription: only the lastname change is sent.
    expect((await crm('PATCH', `/${target}`, { properties: { lastname: 'Lovelace', jobtitle: 'Analyst' } })).status).toBe(200);
    await delivered(emulator);
    expect(receiver.arrived).toHaveLength(1);
    const [update] = receiver.arrived;
    expect(verify(update!, receiver.url, emulator.webhookSecret)).toEqual({ ok: true });
    expect(verify(update!, receiver.url, 'another secret')).toEqual({ ok: false, code: 'signature_invalid' });
    expect(update!.headers.get('content-type')).toBe('application/json');
    expect(update!.headers.get('x-hubspot-signature-version')).toBe('v1');
    expect(update!.headers.get('x-hubspot-signature')).toBe(createHash('sha256').update(emulator.webhookSecret + update!.text).digest('hex'));
    expect(update!.json<HubSpotEvent[]>()).toEqual([
      {
        eventId: expect.any(Number),
        subscriptionId: Number(listed.results[1]!.id),
        portalId: emulator.portalId,
        appId: emulator.appId,
        occurredAt: Date.parse(emulator.objects('contact')[0]!.updatedAt as string),
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: Number(target),
        propertyName: 'lastname',
        propertyValue: 'Lovelace',
        changeSource: 'API',
      },
    ]);

    const created = (await (await crm('POST', '', { properties: { email: 'grace@example.com', firstname: 'Grace' } })).json()) as { id: string };
    expect((await crm('DELETE', `/${target}`)).status).toBe(204);
    await delivered(emulator);
    const later = receiver.arrived.slice(1);
    expect(later.flatMap((r) => r.json<HubSpotEvent[]>().map((e) => [e.subscriptionType, String(e.objectId)]))).toEqual([
      ['contact.creation', created.id],
      ['contact.deletion', target],
    ]);
    expect(later.flatMap((r) => hubspotProvider.webhooks!.parse({ method: 'POST', url: receiver!.url, headers: r.headers, rawBody: r.rawBody }).hints)).toEqual([
      { collectionId: 'hubspot:contact', upstreamId: created.id, deleted: false },
      { collectionId: 'hubspot:contact', upstreamId: target, deleted: true },
    ]);
  });

  it('retries a delivery answered 500, signed afresh, until it is answered 2xx', async () => {
    receiver = new WebhookInbox();
    await receiver.start();
    receiver.answerNext(500, 503);
    emulator = await startHubSpotEmulator({ seed: { contact: 0, company: 3, deal: 0 }, searchRateLimit: null, webhookUrl: receiver.url, webhookSecret: 'app-client-secret', webhookRetryDelaysMs: [20, 20, 20] });
    const company = emulator.objects('company')[0]!.id as string;
    emulator.updateObject('company', company, { industry: 'RETAIL', numberofemployees: '77' });
    await delivered(emulator);

    expect(receiver.arrived).toHaveLength(3);
    expect(emulator.webhooks.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    // The same events each time, each attempt numbered in them as HubSpot does (0 on the first).
    const withoutAttempt = (events: HubSpotEvent[]) => events.map(({ attemptNumber: _attempt, ...event }) => event);
    const [first] = receiver.arrived;
    for (const [i, received] of receiver.arrived.entries()) {
      const events = received.json<HubSpotEvent[]>();
      expect(events.map((e) => e.attemptNumber)).toEqual(events.map(() => i));
      expect(withoutAttempt(events)).toEqual(withoutAttempt(first!.json<HubSpotEvent[]>()));
      expect(verify(received, receiver.url, 'app-client-secret')).toEqual({ ok: true });
    }
    expect(receiver.arrived[0]!.json<HubSpotEvent[]>().map((e) => [e.subscriptionType, e.propertyName, e.changeSource])).toEqual([
      ['company.propertyChange', 'industry', 'CRM_UI'],
      ['company.propertyChange', 'numberofemployees', 'CRM_UI'],
    ]);
  });

  it('sends random changes to --webhook-url in batches of at most 100 events', async () => {
    receiver = new WebhookInbox();
    await receiver.start();
    emulator = await startHubSpotEmulator({ seed: { contact: 50, company: 0, deal: 0 }, searchRateLimit: null, webhookUrl: receiver.url });
    const made = emulator.mutateRandomly(150, ['contact']);
    await delivered(emulator);

    const events = receiver.arrived.flatMap((r) => r.json<HubSpotEvent[]>());
    expect(receiver.arrived.length).toBeGreaterThan(1);
    for (const received of receiver.arrived) {
      expect(received.json<HubSpotEvent[]>().length).toBeLessThanOrEqual(100);
      expect(verify(received, receiver.url, emulator.webhookSecret)).toEqual({ ok: true });
    }
    const ids = (type: string) => new Set(events.filter((e) => e.subscriptionType === type).map((e) => String(e.objectId)));
    expect(ids('contact.creation')).toEqual(new Set(made.created));
    expect(ids('contact.deletion')).toEqual(new Set(made.deleted));
    expect(ids('contact.propertyChange').size).toBeGreaterThan(0);
    for (const id of ids('contact.propertyChange')) expect(made.updated).toContain(id);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  });
});

describe('HubSpot provider: fetchObject against the emulator', () => {
  it('reads a live object with the collection\'s properties, an archived one as the archived scan reports it, null for an id never there', async () => {
    emulator = await startHubSpotEmulator({ seed: { contact: 0, company: 0, deal: 4 }, searchRateLimit: null });
    const session = hubspotProvider.connect({
      credential: { kind: 'hubspot', accessToken: emulator.privateAppToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
      fetch: globalThis.fetch,
      oauth: null,
    });
    const deal = emulator.objects('deal')[1]!;
    const id = deal.id as string;

    const found = await session.fetchObject!('hubspot:deal', id);
    expect(found).toMatchObject({ upstreamId: id, deleted: false, upstreamUpdatedAt: new Date(deal.updatedAt as string) });
    const properties = (found!.data as { properties: Record<string, string | null> }).properties;
    expect(Object.keys(properties).sort()).toEqual([...hubspotCollection('hubspot:deal').properties].sort());
    for (const name of Object.keys(properties)) expect(properties[name]).toBe((deal.properties as Record<string, string | null>)[name] ?? null);

    expect(emulator.archiveObject('deal', id)).toBe(true);
    const gone = await session.fetchObject!('hubspot:deal', id);
    expect(gone).toMatchObject({ upstreamId: id, deleted: true, data: { id, archived: true, archivedAt: expect.any(String) } });
    // The poll's tombstone of it (a changes cursor from the epoch: every change, the archived scan included) carries the same data.
    const scanned = await session.changesSince('hubspot:deal', encodeChangesCursor(initialChangesCursor(0, 0)));
    expect(scanned.objects.find((o) => o.upstreamId === id)).toMatchObject({ deleted: true, data: gone!.data });
    expect(await session.fetchObject!('hubspot:deal', '123456789')).toBeNull();
    expect(await session.fetchObject!('hubspot:deal', emulator.objects('deal')[0]!.id as string)).toMatchObject({ deleted: false });
  });
});
