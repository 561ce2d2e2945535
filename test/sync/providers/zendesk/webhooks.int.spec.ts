/**
 * The Zendesk provider's webhook side against the emulator: registration (webhooks, signing
 * secrets, the ticket trigger), deliveries that verify with the registration's secret and parse
 * into hints, fetchObject, and removal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZendeskEmulator, type ZendeskEmulator } from '../../../../src/emulators/zendesk/index.ts';
import type { ProviderContext, RegisteredWebhook } from '../../../../src/sync/providers/provider.ts';
import { zendeskProvider } from '../../../../src/sync/providers/zendesk/index.ts';
import { waitFor } from '../../../support/wait.ts';
import { WebhookInbox } from '../../../support/webhook-inbox.ts';

const webhooks = zendeskProvider.webhooks!;

describe('Zendesk provider webhooks against the emulator', () => {
  let emulator: ZendeskEmulator;
  let context: ProviderContext;
  const inbox = new WebhookInbox('/v1/webhooks/in/sync-1');
  let url: string;

  beforeAll(async () => {
    emulator = await startZendeskEmulator({ seed: { ticket: 20, user: 20, organization: 6 }, randomSeed: 11 });
    context = {
      credential: { kind: 'zendesk', accessToken: emulator.apiToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: { email: emulator.email }, oauthApp: null },
      fetch: globalThis.fetch,
      oauth: null,
    };
    await inbox.start();
    url = inbox.url;
  });
  afterAll(async () => {
    await emulator?.close();
    await inbox.close();
  });

  let registered: RegisteredWebhook;

  it('registers a trigger webhook with its ticket trigger and an events webhook, keeping both signing secrets', async () => {
    registered = await webhooks.register!(context, { url, collectionIds: ['zendesk:ticket', 'zendesk:user', 'zendesk:organization'], previous: null, previousUrl: null });
    const [ticketHook, events] = emulator.webhookRegistry.webhooks;
    expect(emulator.webhookRegistry.webhooks).toHaveLength(2);
    expect(ticketHook).toMatchObject({ endpoint: url, http_method: 'POST', request_format: 'json', status: 'active', subscriptions: ['conditional_ticket_events'] });
    expect(events!.subscriptions).toEqual(expect.arrayContaining(['zen:event-type:user.created', 'zen:event-type:organization.deleted', 'zen:event-type:ticket.soft_deleted']));
    const [trigger] = emulator.webhookRegistry.triggers;
    expect(trigger!.actions).toEqual([{ field: 'notification_webhook', value: [ticketHook!.id, '{"event":"syncline.ticket_changed","ticket_id":"{{ticket.id}}"}'] }]);
    expect(registered).toEqual({ externalIds: [`webhook:${ticketHook!.id}`, `trigger:${trigger!.id}`, `webhook:${events!.id}`], secret: `${ticketHook!.secret} ${events!.secret}`, expiresAt: null });
  });

  it('verifies and parses what the emulator sends for ticket, user and organization changes', async () => {
    inbox.reset();
    const created = await zendeskProvider.connect(context).mutate('zendesk:ticket', 'create', { upstreamId: null, data: { subject: 'Hooked', comment: { body: 'Hi' } }, idempotencyKey: null });
    const ticketId = created.upstreamId;
    await zendeskProvider.connect(context).mutate('zendesk:ticket', 'delete', { upstreamId: ticketId, data: {}, idempotencyKey: null });
    await emulator.webhooks.settled();
    const hints = inbox.arrived.map((request) => {
      expect(webhooks.verify(request, registered.secret, new Date())).toEqual({ ok: true });
      expect(webhooks.verify(request, 'not-the-secret', new Date())).toEqual({ ok: false, code: 'signature_invalid' });
      return webhooks.parse(request);
    });
    expect(hints.flatMap((h) => h.hints)).toEqual([
      { collectionId: 'zendesk:ticket', upstreamId: ticketId, deleted: false },
      { collectionId: 'zendesk:ticket', upstreamId: ticketId, deleted: true },
    ]);
    expect(new Set(hints.map((h) => h.deliveryId)).size).toBe(2);

    inbox.reset();
    const made = emulator.mutateRandomly(20, ['user', 'organization']);
    await emulator.webhooks.settled();
    const userAndOrgHints = inbox.arrived.flatMap((request) => webhooks.parse(request).hints);
    // Each hint names an object the random changes touched (organization notes and sharing have no Zendesk event).
    const touched = new Set([...made.created, ...made.updated, ...made.deleted]);
    expect(userAndOrgHints.length).toBeGreaterThan(0);
    for (const hint of userAndOrgHints) expect(touched.has(hint.upstreamId)).toBe(true);
    for (const id of made.deleted) expect(userAndOrgHints).toContainEqual({ collectionId: 'zendesk:user', upstreamId: id, deleted: true });
  });

  it('fetches objects by id: live ones as the exports give them, deleted tickets and users as gone', async () => {
    const session = zendeskProvider.connect(context);
    const ticket = emulator.objects('ticket')[0]!;
    expect(await session.fetchObject!('zendesk:ticket', String(ticket.id))).toMatchObject({ upstreamId: String(ticket.id), data: ticket, deleted: false });
    const organization = emulator.objects('organization')[0]!;
    expect((await session.fetchObject!('zendesk:organization', String(organization.id)))?.data).toEqual(organization);
    await session.mutate('zendesk:ticket', 'delete', { upstreamId: String(ticket.id), data: {}, idempotencyKey: null });
    expect(await session.fetchObject!('zendesk:ticket', String(ticket.id))).toBeNull();
    expect(await session.fetchObject!('zendesk:ticket', '999999999')).toBeNull();
    // A deleted user is still read by id, with `active: false`: gone all the same.
    const made = await waitFor(async () => {
      const round = emulator.mutateRandomly(10, ['user']);
      return round.deleted.length > 0 ? round : null;
    }, 10_000, 'a deleted user');
    const answer = await fetch(`${emulator.url}/api/v2/users/${made.deleted[0]!}.json`, { headers: { authorization: `Basic ${Buffer.from(`${emulator.email}/token:${emulator.apiToken}`).toString('base64')}` } });
    expect(((await answer.json()) as { user: { active: boolean } }).user.active).toBe(false);
    expect(await session.fetchObject!('zendesk:user', made.deleted[0]!)).toBeNull();
  });

  it('replaces a registration (new ones first) and removes it, a second removal finding nothing', async () => {
    const replaced = await webhooks.register!(context, { url, collectionIds: ['zendesk:user'], previous: registered, previousUrl: url });
    expect(emulator.webhookRegistry.webhooks.map((w) => `webhook:${w.id}`)).toEqual(replaced.externalIds);
    expect(emulator.webhookRegistry.triggers).toEqual([]);
    expect(replaced.secret).toBe(emulator.webhookRegistry.webhooks[0]!.secret);
    await webhooks.unregister!(context, replaced);
    expect(emulator.webhookRegistry.webhooks).toEqual([]);
    await webhooks.unregister!(context, replaced);
  });
});
