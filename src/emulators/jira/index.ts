/** The Jira Cloud REST v3 emulator (issues, projects, users), on the emulator kit. */

import { listenHttpEmulator, MutationTimer, transportControls, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { mutateRandomly, seed, type SeedCounts } from './mutator.ts';
import { JIRA_COLLECTIONS, JiraStore, type JiraCollection } from './store.ts';
import { JiraWireFormat } from './wire-format.ts';

export { JIRA_COLLECTIONS, type JiraCollection } from './store.ts';

export interface JiraEmulatorOptions extends CommonEmulatorOptions {
  /** The account's email (Basic auth user); default `admin@example.com`. */
  email?: string;
  /** The account's time zone: JQL dates are read in it. Default `America/New_York`. */
  timeZone?: string;
  /** Test knob: read JQL dates in this zone instead of the account's `timeZone` (Jira uses the account's). */
  jqlTimeZone?: string;
  /** Seeded objects per collection; overrides `objects`. */
  seed?: Partial<SeedCounts>;
}

export interface JiraEmulator extends ProviderEmulator<JiraCollection> {
  readonly email: string;
  readonly apiToken: string;
  instructions(): string[];
}

export async function startJiraEmulator(options: JiraEmulatorOptions = {}): Promise<JiraEmulator> {
  const email = options.email ?? 'admin@example.com';
  const apiToken = options.apiKey ?? 'ATATT-emulator';
  const random = new Random(options.randomSeed ?? 42);
  const store = new JiraStore(random.fork());
  const objects = options.objects ?? 0;
  seed(store, random.fork(), { project: Math.max(1, Math.ceil(objects / 2)), user: Math.max(1, objects), issue: objects, ...options.seed }, { email, displayName: 'Site Admin' }, options.timeZone ?? 'America/New_York');
  const http = await listenHttpEmulator(new JiraWireFormat(store, { email, apiToken }, options.jqlTimeZone ?? null), options);
  store.base = http.url;
  const mutationRandom = random.fork();
  const timer = new MutationTimer();
  const mutate = (n: number, collections: readonly JiraCollection[] = JIRA_COLLECTIONS) =>
    mutateRandomly(store, mutationRandom, n, collections.length > 0 ? collections : JIRA_COLLECTIONS);
  const listed = (collection: JiraCollection): Record<string, unknown>[] => {
    switch (collection) {
      case 'issue':
        return [...store.issues.values()].sort((a, b) => a.id - b.id).map((i) => store.renderIssue(i));
      case 'project':
        return [...store.projects.values()].map((p) => store.renderProject(p));
      case 'user':
        return [...store.users.values()].map((u) => store.renderUser(u));
    }
  };

  return {
    ...transportControls(http),
    email,
    apiToken,
    collections: JIRA_COLLECTIONS,
    objects: (collection) => JSON.parse(JSON.stringify(listed(collection))) as Record<string, unknown>[],
    mutateRandomly: (n, collections) => mutate(n, collections),
    startRandomMutations: ({ everyMs, perTick, collections }) => timer.start(everyMs, () => mutate(perTick, collections)),
    stopRandomMutations: () => timer.stop(),
    close: async () => {
      timer.stop();
      await http.close();
    },
    instructions: () => [
      `Jira emulator listening on ${http.url} (Basic auth ${email} / ${apiToken}); Syncline credential:`,
      JSON.stringify({ kind: 'jira', access_token: apiToken, metadata: { email }, api_base_url: http.url }),
    ],
  };
}

export const jiraEmulatorDescriptor: EmulatorDescriptor = {
  name: 'jira',
  defaultPort: 12116,
  start: (options) => startJiraEmulator(options),
};
