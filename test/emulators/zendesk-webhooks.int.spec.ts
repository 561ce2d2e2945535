/**
 * The Zendesk emulator's webhooks: registration through its Webhooks and Triggers APIs, deliveries
 * of its changes to a loopback receiver with Zendesk's headers and signature, retries.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskEmulator, ZENDESK_TEST_SIGNING_SECRET, type ZendeskEmulator } from '../../src/emulators/zendesk/index.ts';
import { waitFor } from '../support/wait.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
}

/** Keeps every request; answers each with the next of `statuses` (then 200). */
class Receiver {
  readonly received: Received[] = [];
  statuses: number[] = [];
  private server: http.Server | null = null;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(this.statuses.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Zendesk's documented scheme written out independently: base64(HMAC-SHA256(secret, timestamp + body)). */
function signatureOf(secret: string, delivery: Received): string {
  return createHmac('sha256', secret).update(`${String(delivery.headers['x-zendesk-webhook-signature-timestamp'])}${delivery.body}`).digest('base64');
}

let emulator: ZendeskEmulator | undefined;
let receiver: Receiver | undefined;
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
    receiver = new Receiver();
    const url = await receiver.start();
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

    expect(receiver.received.map((r) => r.json)).toEqual([
      { ticket_id: String(id), status: 'new' },
      { ticket_id: String(id), status: 'pending' },
    ]);
    for (const delivery of receiver.received) {
      expect(delivery.headers['x-zendesk-webhook-id']).toBe(webhook.id);
      expect(delivery.headers['x-zendesk-webhook-invocation-id']).toMatch(/^\d+$/);
      expect(delivery.headers['x-zendesk-account-id']).toMatch(/^\d+$/);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(String(delivery.headers['x-zendesk-webhook-signature-timestamp'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(delivery.headers['x-zendesk-webhook-signature']).toBe(signatureOf(webhook.secret, delivery));
    }
    // A deleted ticket runs no trigger (Zendesk's triggers run on creates and updates only).
    await api('DELETE', `/api/v2/tickets/${id}.json`);
    await emulator.webhooks.settled();
    expect(receiver.received).toHaveLength(2);
  });

  it('sends Zendesk events to the webhooks subscribed to their type', async () => {
    emulator = await startZendeskEmulator({ objects: 10, randomSeed: 3 });
    receiver = new Receiver();
    const url = await receiver.start();
    const webhook = await createWebhook(url, ['zen:event-type:ticket.soft_deleted', 'zen:event-type:user.tags_changed', 'zen:event-type:user.active_changed']);
    const ticket = emulator.objects('ticket')[0]!;
    await api('DELETE', `/api/v2/tickets/${String(ticket.id)}.json`);
    // Random changes until one tags or deactivates a user.
    for (let i = 0; i < 50 && !receiver.received.some((r) => String(r.json.type).startsWith('zen:event-type:user.')); i++) {
      emulator.mutateRandomly(5, ['user']);
      await emulator.webhooks.settled();
    }
    await emulator.webhooks.settled();
    const [deleted, ...userEvents] = receiver.received;
    expect(deleted!.json).toMatchObject({ type: 'zen:event-type:ticket.soft_deleted', subject: `zen:ticket:${String(ticket.id)}`, detail: { id: String(ticket.id) }, zendesk_event_version: '2022-11-06' });
    expect(typeof deleted!.json.id).toBe('string');
    expect(userEvents.length).toBeGreaterThan(0);
    for (const delivery of receiver.received) expect(delivery.headers['x-zendesk-webhook-signature']).toBe(signatureOf(webhook.secret, delivery));
    for (const { json } of userEvents) {
      expect(['zen:event-type:user.tags_changed', 'zen:event-type:user.active_changed']).toContain(json.type);
      expect(json.subject).toBe(`zen:user:${String((json.detail as { id: string }).id)}`);
    }
  });

  it('retries a delivery answered 503, signing each attempt, and gives up after a 500 as Zendesk does', async () => {
    emulator = await startZendeskEmulator({ objects: 5, randomSeed: 3, webhookRetryDelaysMs: [10, 10] });
    receiver = new Receiver();
    const url = await receiver.start();
    const webhook = await createWebhook(url, ['zen:event-type:ticket.soft_deleted']);
    receiver.statuses = [503];
    await api('DELETE', `/api/v2/tickets/${String(emulator.objects('ticket')[0]!.id)}.json`);
    await emulator.webhooks.settled();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(receiver.received[1]!.headers['x-zendesk-webhook-invocation-id']).toBe(receiver.received[0]!.headers['x-zendesk-webhook-invocation-id']);
    for (const delivery of receiver.received) expect(delivery.headers['x-zendesk-webhook-signature']).toBe(signatureOf(webhook.secret, delivery));
    expect(emulator.webhooks.attempts.map((a) => a.status)).toEqual([503, 200]);

    receiver.received.length = 0;
    receiver.statuses = [500];
    await api('DELETE', `/api/v2/tickets/${String(emulator.objects('ticket')[0]!.id)}.json`);
    await emulator.webhooks.settled();
    expect(receiver.received).toHaveLength(1);
    expect(emulator.webhooks.attempts.map((a) => a.status)).toEqual([503, 200, 500]);
  });

  it('sends every change to --webhook-url, signed with --webhook-secret or Zendesk’s test secret', async () => {
    receiver = new Receiver();
    const url = await receiver.start();
    emulator = await startZendeskEmulator({ objects: 5, randomSeed: 3, webhookUrl: url });
    expect(emulator.webhookSecret).toBe(ZENDESK_TEST_SIGNING_SECRET);
    const made = emulator.mutateRandomly(5, ['ticket']);
    await waitFor(async () => receiver!.received.length >= made.created.length + made.updated.length + made.deleted.length, 10_000, 'the deliveries');
    for (const delivery of receiver.received) {
      expect(delivery.json.type).toMatch(/^zen:event-type:ticket\./);
      expect(delivery.headers['x-zendesk-webhook-signature']).toBe(signatureOf(ZENDESK_TEST_SIGNING_SECRET, delivery));
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
