/**
 * The Zendesk emulator's webhooks: registration through its Webhooks and Triggers APIs, deliveries
 * of its changes to a loopback receiver with Zendesk's headers and signature, retries.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskEmulator, ZENDESK_TEST_SIGNING_SECRET, type ZendeskEmulator } from '../../src/emulators/zendesk/index.ts';
import { WebhookInbox, type ArrivedRequest } from '../support/webhook-inbox.ts';

/** Zendesk's documented scheme written out independently: base64(HMAC-SHA256(secret, timestamp + body)). */
function signatureOf(secret: string, delivery: ArrivedRequest): string {
  return createHmac('sha256', secret).update(`${String(delivery.headers.get('x-zendesk-webhook-signature-timestamp'))}${delivery.text}`).digest('base64');
}

type ZendeskEvent = Record<string, unknown>;

let emulator: ZendeskEmulator | undefined;
let receiver: WebhookInbox | undefined;
afterEach(async () => {
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await fetch(`${emulator!.url}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${emulator!.email}/token:${emulator!.apiToken}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await answer.text();
  return { status: answer.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function createWebhook(endpoint: string, subscriptions: string[]): Promise<{ id: string; secret: string }> {
  const created = await api('POST', '/api/v2/webhooks', { webhook: { name: 'test', endpoint, http_method: 'POST', request_format: 'json', status: 'active', subscriptions } });
  expect(created.status).toBe(201);
  const id = (created.body.webhook as { id: string }).id;
  expect(created.body.webhook).not.toHaveProperty('secret');
  const secret = await api('GET', `/api/v2/webhooks/${id}/signing_secret`);
  expect(secret).toMatchObject({ status: 200, body: { signing_secret: { algorithm: 'sha256' } } });
  return { id, secret: (secret.body.signing_secret as { secret: string }).secret };
}

describe('Zendesk emulator webhooks', () => {
  it('runs a ticket trigger on creates and updates and sends its rendered body, signed, to the trigger webhook', async () => {
    emulator = await startZendeskEmulator({ objects: 10, randomSeed: 3 });
    receiver = new WebhookInbox('/hooks');
    await receiver.start();
    const url = receiver.url;
    const webhook = await createWebhook(url, ['conditional_ticket_events']);
    const trigger = await api('POST', '/api/v2/triggers.json', {
      trigger: {
        title: 'notify',
        conditions: { all: [], any: [{ field: 'update_type', operator: 'is', value: 'Create' }, { field: 'update_type', operator: 'is', value: 'Change' }] },
        actions: [{ field: 'notification_webhook', value: [webhook.id, '{"ticket_id":"{{ticket.id}}","status":"{{ticket.status}}"}'] }],
      },
    });
    expect(trigger.status).toBe(201);

    const created = await api('POST', '/api/v2/tickets.json', { ticket: { subject: 'Printer on fire', comment: { body: 'It smokes.' } } });
    const id = (created.body.ticket as { id: number }).id;
    await api('PUT', `/api/v2/tickets/${id}.json`, { ticket: { status: 'pending' } });
    await emulator.webhooks.settled();

    expect(receiver.arrived.map((r) => r.json())).toEqual([
      { ticket_id: String(id), status: 'new' },
      { ticket_id: String(id), status: 'pending' },
    ]);
    for (const delivery of receiver.arrived) {
      expect(delivery.headers.get('x-zendesk-webhook-id')).toBe(webhook.id);
      expect(delivery.headers.get('x-zendesk-webhook-invocation-id')).toMatch(/^\d+$/);
      expect(delivery.headers.get('x-zendesk-account-id')).toMatch(/^\d+$/);
      expect(delivery.headers.get('content-type')).toBe('application/json');
      expect(String(delivery.headers.get('x-zendesk-webhook-signature-timestamp'))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(delivery.headers.get('x-zendesk-webhook-signature')).toBe(signatureOf(webhook.secret, delivery));
    }
    // A deleted ticket runs no trigger (Zendesk's triggers run on creates and updates only).
    await api('DELETE', `/api/v2/tickets/${id}.json`);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(2);
  });

  it('sends Zendesk events to the webhooks subscribed to their type', async () => {
    emulator = await startZendeskEmulator({ objects: 10, randomSeed: 3 });
    receiver = new WebhookInbox('/hooks');
    await receiver.start();
    const url = receiver.url;
    const webhook = await createWebhook(url, ['zen:event-type:ticket.soft_deleted', 'zen:event-type:user.tags_changed', 'zen:event-type:user.active_changed']);
    const ticket = emulator.objects('ticket')[0]!;
    await api('DELETE', `/api/v2/tickets/${String(ticket.id)}.json`);
    // Random changes until one tags or deactivates a user.
    for (let i = 0; i < 50 && !receiver.arrived.some((r) => String(r.json<ZendeskEvent>().type).startsWith('zen:event-type:user.')); i++) {
      emulator.mutateRandomly(5, ['user']);
      await emulator.webhooks.settled();
    }
    await emulator.webhooks.settled();
    const [deleted, ...userEvents] = receiver.arrived;
    expect(deleted!.json()).toMatchObject({ type: 'zen:event-type:ticket.soft_deleted', subject: `zen:ticket:${String(ticket.id)}`, detail: { id: String(ticket.id) }, zendesk_event_version: '2022-11-06' });
    expect(typeof deleted!.json<ZendeskEvent>().id).toBe('string');
    expect(userEvents.length).toBeGreaterThan(0);
    for (const delivery of receiver.arrived) expect(delivery.headers.get('x-zendesk-webhook-signature')).toBe(signatureOf(webhook.secret, delivery));
    for (const delivery of userEvents) {
      const json = delivery.json<ZendeskEvent>();
      expect(['zen:event-type:user.tags_changed', 'zen:event-type:user.active_changed']).toContain(json.type);
      expect(json.subject).toBe(`zen:user:${String((json.detail as { id: string }).id)}`);
    }
  });

  it('retries a delivery answered 503, signing each attempt, and gives up after a 500 as Zendesk does', async () => {
    emulator = await startZendeskEmulator({ objects: 5, randomSeed: 3, webhookRetryDelaysMs: [10, 10] });
    receiver = new WebhookInbox('/hooks');
    await receiver.start();
    const url = receiver.url;
    const webhook = await createWebhook(url, ['zen:event-type:ticket.soft_deleted']);
    receiver.answerNext(503);
    await api('DELETE', `/api/v2/tickets/${String(emulator.objects('ticket')[0]!.id)}.json`);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(2);
    expect(receiver.arrived[1]!.text).toBe(receiver.arrived[0]!.text);
    expect(receiver.arrived[1]!.headers.get('x-zendesk-webhook-invocation-id')).toBe(receiver.arrived[0]!.headers.get('x-zendesk-webhook-invocation-id'));
    for (const delivery of receiver.arrived) expect(delivery.headers.get('x-zendesk-webhook-signature')).toBe(signatureOf(webhook.secret, delivery));
    expect(emulator.webhooks.attempts.map((a) => a.status)).toEqual([503, 200]);

    receiver.reset();
    receiver.answerNext(500);
    await api('DELETE', `/api/v2/tickets/${String(emulator.objects('ticket')[0]!.id)}.json`);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(1);
    expect(emulator.webhooks.attempts.map((a) => a.status)).toEqual([503, 200, 500]);
  });

  it('sends every change to --webhook-url, signed with --webhook-secret or Zendesk’s test secret', async () => {
    receiver = new WebhookInbox('/hooks');
    await receiver.start();
    const url = receiver.url;
    emulator = await startZendeskEmulator({ objects: 5, randomSeed: 3, webhookUrl: url });
    expect(emulator.webhookSecret).toBe(ZENDESK_TEST_SIGNING_SECRET);
    const made = emulator.mutateRandomly(5, ['ticket']);
    await receiver.arrivals(made.created.length + made.updated.length + made.deleted.length, 'the deliveries');
    for (const delivery of receiver.arrived) {
      expect(delivery.json<ZendeskEvent>().type).toMatch(/^zen:event-type:ticket\./);
      expect(delivery.headers.get('x-zendesk-webhook-signature')).toBe(signatureOf(ZENDESK_TEST_SIGNING_SECRET, delivery));
    }
  });

  it('answers registration errors and removes webhooks and triggers', async () => {
    emulator = await startZendeskEmulator({ objects: 1, randomSeed: 3 });
    const mixed = await api('POST', '/api/v2/webhooks', { webhook: { name: 'x', endpoint: 'http://127.0.0.1:1/x', http_method: 'POST', request_format: 'json', status: 'active', subscriptions: ['conditional_ticket_events', 'zen:event-type:user.created'] } });
    expect(mixed.status).toBe(400);
    expect(mixed.body.errors).toEqual([expect.objectContaining({ code: 'InvalidValue' })]);
    const events = await createWebhook('http://127.0.0.1:1/x', ['zen:event-type:user.created']);
    const refused = await api('POST', '/api/v2/triggers.json', { trigger: { title: 't', conditions: { any: [{ field: 'update_type', operator: 'is', value: 'Change' }] }, actions: [{ field: 'notification_webhook', value: [events.id, '{}'] }] } });
    expect(refused).toMatchObject({ status: 422, body: { error: 'RecordInvalid' } });
    expect(await api('DELETE', `/api/v2/webhooks/${events.id}`)).toEqual({ status: 204, body: {} });
    expect((await api('DELETE', `/api/v2/webhooks/${events.id}`)).status).toBe(404);
    expect((await api('DELETE', '/api/v2/triggers/1.json')).status).toBe(404);
  });
});
