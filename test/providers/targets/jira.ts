/** The Jira provider's conformance target: Basic auth with an email and an API token. */

import { startJiraEmulator, type JiraEmulator } from '../../../src/emulators/jira/index.ts';
import type { ConformanceTarget } from '../conformance/target.ts';

export const jiraConformanceTarget: ConformanceTarget<JiraEmulator> = {
  provider: 'jira',
  collections: ['jira:issue', 'jira:project', 'jira:user'],
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startJiraEmulator({
      seed: { issue: objects, user: objects, project: Math.ceil(objects / 3) },
      randomSeed,
      email: 'conformance@example.com',
      apiKey: 'ATATT-conformance',
      // JQL dates are read in this zone: the provider must format its cursor minute in it.
      timeZone: 'America/Los_Angeles',
      rateLimit: rateLimit ?? null,
    }),
  credential: async (_api, emulator) => ({ kind: 'jira', access_token: emulator.apiToken, metadata: { email: emulator.email }, api_base_url: emulator.url }),
  upstreamId: (collectionId, object) => String(collectionId === 'jira:user' ? object.accountId : object.id),
  mutation: {
    collectionId: 'jira:issue',
    // The emulator's first project always has id 10000 (Jira's first project id).
    create: { fields: { project: { id: '10000' }, summary: 'Conformance Created', issuetype: { name: 'Task' } } },
    update: { fields: { summary: 'Conformance Updated', labels: ['conformance'] } },
    showsUpdate: (object) => {
      const fields = object.fields as { summary?: unknown; labels?: unknown };
      return fields.summary === 'Conformance Updated' && Array.isArray(fields.labels) && fields.labels.includes('conformance');
    },
  },
};
