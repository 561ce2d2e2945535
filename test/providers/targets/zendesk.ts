/** The Zendesk provider's conformance targets: an API token, and an OAuth client's refresh token. */

import { createHmac, randomInt } from 'node:crypto';
import { startZendeskEmulator, ZENDESK_EXPORT_RATE_LIMIT, type ZendeskEmulator } from '../../../src/emulators/zendesk/index.ts';
import type { ConformanceTarget, WebhookSample } from '../conformance/target.ts';

/** A ticket the webhook part may change: live and not closed (Zendesk refuses updates of closed tickets). */
function openTicket(emulator: ZendeskEmulator): number {
  const ticket = emulator.objects('ticket').find((t) => t.status !== 'closed');
  if (!ticket) throw new Error('the Zendesk emulator has no open ticket left');
  return ticket.id as number;
}

let changes = 0;

/**
 * Syncline registers a trigger webhook and a ticket trigger through the emulator's API: ticket
 * creates and updates arrive as the trigger's body, deletes as `zen:event-type:ticket.soft_deleted`.
 */
const webhooks: WebhookSample<ZendeskEmulator> = {
  collectionId: 'zendesk:ticket',
  change: (emulator) => {
    const id = openTicket(emulator);
    emulator.updateTicket(id, { tags: ['conformance', `webhook_${++changes}`] });
    return String(id);
  },
  remove: (emulator) => {
    const id = openTicket(emulator);
    emulator.deleteTicket(id);
    return String(id);
  },
  // The trigger webhook's secret (Syncline keeps it with the events webhook's); without a registration, --webhook-url's.
  secret: (emulator) => emulator.webhookRegistry.webhooks.find((w) => w.subscriptions.includes('conditional_ticket_events'))?.secret ?? emulator.webhookSecret,
  request: (_emulator, upstreamId, secret) => {
    const body = JSON.stringify({ event: 'syncline.ticket_changed', ticket_id: upstreamId });
    const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-account-id': '9242270',
        'x-zendesk-webhook-id': '01JCONFORMANCE0000000000000',
        'x-zendesk-webhook-invocation-id': String(randomInt(1, 2 ** 47)),
        'x-zendesk-webhook-signature': createHmac('sha256', secret).update(timestamp + body).digest('base64'),
        'x-zendesk-webhook-signature-timestamp': timestamp,
      },
    };
  },
};

const base: Omit<ConformanceTarget<ZendeskEmulator>, 'credential'> = {
  // Zendesk's incremental exports allow 10 requests a minute on their own (429 + Retry-After); the
  // window is 5 s here, not 60, so the suite stays short: the answers are Zendesk's.
  documentedLimit: {
    name: "Zendesk's incremental export limit (10 requests a window)",
    impose: (emulator) => emulator.setExportRateLimit({ requests: ZENDESK_EXPORT_RATE_LIMIT.requests, windowMs: 5_000 }),
    lift: (emulator) => emulator.setExportRateLimit(null),
    answered: (emulator) => emulator.exportLimitAnswers,
  },
  provider: 'zendesk',
  collections: ['zendesk:ticket', 'zendesk:user', 'zendesk:organization'],
  // Zendesk's export rules (last minute left out, 10 exports a minute) stay off: the suite polls
  // every 500 ms and waits 60 s for convergence.
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startZendeskEmulator({ objects, randomSeed, apiKey: 'zendesk_conformance_token', email: 'conformance@syncline-test.zendesk.com', rateLimit: rateLimit ?? null }),
  upstreamId: (_collectionId, object) => String(object.id),
  mutation: {
    collectionId: 'zendesk:ticket',
    create: { subject: 'Conformance Created', comment: { body: 'Created by the conformance suite' }, priority: 'normal' },
    update: { status: 'pending', tags: ['conformance'] },
    showsUpdate: (object) => object.status === 'pending' && JSON.stringify(object.tags) === '["conformance"]',
  },
  webhooks,
};

export const zendeskConformanceTarget: ConformanceTarget<ZendeskEmulator> = {
  ...base,
  credential: async (_api, emulator) => ({
    kind: 'zendesk',
    access_token: emulator.apiToken,
    metadata: { email: emulator.email },
    api_base_url: emulator.url,
  }),
};

/** With a refresh token and no access token, the engine refreshes before the first request. */
export const zendeskOAuthTarget: ConformanceTarget<ZendeskEmulator> = {
  ...base,
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'zendesk', client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'zendesk_oauth2', refresh_token: emulator.issueRefreshToken(), oauth_app_id: app.body.id, api_base_url: emulator.url };
  },
  expireAccessTokens: (emulator) => emulator.expireAccessTokens(),
  refreshGrants: (emulator) => emulator.refreshGrants,
};
