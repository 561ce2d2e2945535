import { HttpEmulator } from '../kit/http-emulator.ts';
import { OAuthIssuer, type OAuthClient } from '../kit/oauth-issuer.ts';
import { mutationControls, transportControls, validateFaults, type ChangesMade, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { withChecksum } from './ids.ts';
import { fakeCreate, fakeUpdate } from './fake-data.ts';
import type { FieldDef, SObjectDef } from './schema.ts';
import { OrgStore } from './store.ts';
import { SalesforceWire } from './wire.ts';

export type SalesforceCollectionName = 'contact' | 'account' | 'opportunity' | 'lead';

const COLLECTIONS: readonly SalesforceCollectionName[] = ['account', 'contact', 'opportunity', 'lead'];
const SOBJECT_OF: Record<SalesforceCollectionName, string> = { account: 'Account', contact: 'Contact', opportunity: 'Opportunity', lead: 'Lead' };

export const DEFAULT_CLIENT: OAuthClient = { clientId: '3MVG9emulatorSynclineConnectedApp', clientSecret: 'emulator-consumer-secret' };

export interface SalesforceEmulatorOptions extends CommonEmulatorOptions {
  /** Connected apps allowed to log in (default: DEFAULT_CLIENT). */
  clients?: OAuthClient[];
  /** How long an access token (session) lasts (default 2 hours, Salesforce's default session timeout). */
  accessTokenTtlSeconds?: number;
  /** Records per query batch unless `Sforce-Query-Options: batchSize=` says otherwise (default 2000). */
  defaultBatchSize?: number;
  /** API requests the org allows per 24 hours (default 100,000), 403 REQUEST_LIMIT_EXCEEDED beyond. */
  dailyApiLimit?: number;
}

export interface SalesforceEmulator extends ProviderEmulator<SalesforceCollectionName> {
  readonly client: OAuthClient;
  /** A refresh token as if a person had connected the org with `clientId`'s app. */
  issueRefreshToken(clientId?: string): string;
  /** Every session issued so far ends: the next data request with one gets 401 INVALID_SESSION_ID. */
  expireAccessTokens(): void;
  /** Token grants answered, by kind. */
  readonly grants: Readonly<{ authorization_code: number; refresh_token: number }>;
  /** API requests counted so far (the `N` of `Sforce-Limit-Info`). */
  apiUsage(): number;
  /** Open query locators expire, as after 15 idle minutes (next-batch URLs get INVALID_QUERY_LOCATOR). */
  expireQueryLocators(): void;
  /** Records in the recycle bin of a collection (what queryAll adds). */
  deletedObjects(collection: SalesforceCollectionName): Record<string, unknown>[];
  /** An admin adds a custom field (`…__c`) to the collection's sObject while the org runs. */
  addField(collection: SalesforceCollectionName, field: FieldDef): void;
  /** An admin deletes a field of the collection's sObject. */
  removeField(collection: SalesforceCollectionName, name: string): void;
  /** Sets a field of a live record (a user's edit: a new SystemModstamp). */
  setField(collection: SalesforceCollectionName, id: string, name: string, value: unknown): void;
}

const sobjectOf = (store: OrgStore, collection: SalesforceCollectionName): SObjectDef => store.sobjectDef(SOBJECT_OF[collection]) as SObjectDef;

export async function startSalesforceEmulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  const random = new Random(options.randomSeed ?? 42);
  const dataRandom = random.fork();
  const orgId = withChecksum('00D5g0000012345');
  const store = new OrgStore(withChecksum('0055g000001AbCd'));
  const client = options.clients?.[0] ?? DEFAULT_CLIENT;
  const issuer = new OAuthIssuer(options.clients ?? [DEFAULT_CLIENT], { accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 7200, tokenPrefix: `${orgId.slice(0, 15)}!` });
  let http: HttpEmulator | null = null;
  const wire = new SalesforceWire({
    store,
    issuer,
    orgId,
    defaultBatchSize: options.defaultBatchSize ?? 2000,
    dailyApiLimit: options.dailyApiLimit ?? 100_000,
    instanceUrl: () => (http as HttpEmulator).url,
  });
  http = new HttpEmulator(wire, {
    rateLimit: options.rateLimit ?? null,
    faults: validateFaults(options.faults ?? {}),
    faultSeed: random.fork().next() * 2 ** 32,
    ...(options.logger ? { logger: options.logger } : {}),
  });

  seed(store, dataRandom, options.objects ?? 25);

  const accountIds = () => store.list(sobjectOf(store, 'account'), false).map((r) => r.fields.Id as string);
  const mutateRandomly = (n: number, collections: SalesforceCollectionName[] = [...COLLECTIONS]): ChangesMade => {
    const made: ChangesMade = { created: [], updated: [], deleted: [] };
    for (let i = 0; i < n; i++) {
      const sobject = sobjectOf(store, dataRandom.pick(collections));
      const live = store.list(sobject, false);
      const roll = dataRandom.next();
      if (live.length === 0 || roll < 0.35) {
        made.created.push(store.create(sobject, fakeCreate(sobject.name, dataRandom, accountIds())).fields.Id as string);
      } else if (roll < 0.85) {
        const target = dataRandom.pick(live);
        made.updated.push(store.update(sobject, target.fields.Id as string, fakeUpdate(sobject.name, dataRandom)).fields.Id as string);
      } else {
        made.deleted.push(store.delete(sobject, dataRandom.pick(live).fields.Id as string).fields.Id as string);
      }
    }
    return made;
  };

  await http.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return {
    ...transportControls(http),
    collections: COLLECTIONS,
    objects: (collection) => store.list(sobjectOf(store, collection), false).map((r) => OrgStore.view(r)),
    addField: (collection, field) => store.addField(sobjectOf(store, collection), field),
    removeField: (collection, name) => store.removeField(sobjectOf(store, collection), name),
    setField: (collection, id, name, value) => void store.update(sobjectOf(store, collection), id, { [name]: value }),
    deletedObjects: (collection) => store.list(sobjectOf(store, collection), true).filter((r) => r.deletedAt !== null).map((r) => OrgStore.view(r)),
    ...mutationControls(http, mutateRandomly),
    client,
    issueRefreshToken: (clientId = client.clientId) => issuer.issueRefreshToken(clientId),
    expireAccessTokens: () => issuer.expireAccessTokens(),
    grants: issuer.grants,
    apiUsage: () => wire.apiUsage,
    expireQueryLocators: () => wire.locators.expireAll(),
  };
}

/**
 * `perCollection` records of each object, created over the last 90 days; a third of them in
 * data loads that share one SystemModstamp second (as imports do), so clients meet ties.
 */
function seed(store: OrgStore, random: Random, perCollection: number): void {
  const now = store.now();
  for (const collection of COLLECTIONS) {
    const sobject = sobjectOf(store, collection);
    const accounts = store.list(sobjectOf(store, 'account'), false).map((r) => r.fields.Id as string);
    let at = now - 90 * 24 * 3600_000;
    const step = Math.max(1000, Math.floor((90 * 24 * 3600_000) / Math.max(1, perCollection)));
    for (let i = 0; i < perCollection; i++) {
      if (!random.chance(0.33)) at += random.int(1000, step);
      store.create(sobject, fakeCreate(sobject.name, random, accounts), Math.min(at, now - 1000));
    }
  }
}

export const salesforceEmulatorDescriptor: EmulatorDescriptor = {
  name: 'salesforce',
  defaultPort: 12113,
  async start(options) {
    const emulator = await startSalesforceEmulator(options);
    const refreshToken = emulator.issueRefreshToken();
    return {
      ...emulator,
      instructions: () => [
        `Salesforce emulator on ${emulator.url} (login host and instance in one)`,
        `1. POST /v1/oauth-apps {"provider":"salesforce","client_id":"${emulator.client.clientId}","client_secret":"${emulator.client.clientSecret}"}`,
        `2. POST /v1/credentials {"kind":"salesforce_oauth2","refresh_token":"${refreshToken}","oauth_app_id":"<id from 1>","api_base_url":"${emulator.url}"}`,
        `   (or connect through ${emulator.url}/services/oauth2/authorize: it approves at once)`,
      ],
    };
  },
};
