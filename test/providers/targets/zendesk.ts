import { startZendeskEmulator, type ZendeskEmulator } from '../../../src/emulators/zendesk/index.ts';
import type { ConformanceTarget } from '../conformance/target.ts';

export const zendeskConformanceTarget: ConformanceTarget<ZendeskEmulator> = {
  provider: 'zendesk',
  collections: ['zendesk:ticket', 'zendesk:user', 'zendesk:organization'],
  // Zendesk's export rules (last minute left out, 10 exports a minute) stay off: the suite polls
  // every 500 ms and waits 60 s for convergence.
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startZendeskEmulator({ objects, randomSeed, apiKey: 'zendesk_conformance_token', email: 'conformance@syncline-test.zendesk.com', rateLimit: rateLimit ?? null }),
  credential: async (_api, emulator) => ({
    kind: 'zendesk',
    access_token: emulator.apiToken,
    metadata: { email: emulator.email },
    api_base_url: emulator.url,
  }),
  upstreamId: (_collectionId, object) => String(object.id),
  mutation: {
    collectionId: 'zendesk:ticket',
    create: { subject: 'Conformance Created', comment: { body: 'Created by the conformance suite' }, priority: 'normal' },
    update: { status: 'pending', tags: ['conformance'] },
    showsUpdate: (object) => object.status === 'pending' && JSON.stringify(object.tags) === '["conformance"]',
  },
};
