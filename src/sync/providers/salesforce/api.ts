import { requestJson } from '../http-json.ts';
import { UpstreamAuthError, UpstreamRequestError, type OAuthTokenSource } from '../provider.ts';
import { readSalesforceError } from './errors.ts';

/**
 * The REST API version every path names: Summer '26, the newest release the REST API Developer
 * Guide lists. Salesforce publishes no REST OpenAPI document on npm (docs/providers/salesforce.md:
 * what was searched, and how a bump is checked).
 */
export const API_VERSION = 'v67.0';
const DATA_PATH = `/services/data/${API_VERSION}`;

/** A record as the REST API answers it: its fields plus `attributes: {type, url}`. */
export type SObjectRecord = Record<string, unknown> & { Id?: unknown; attributes?: unknown };

export interface QueryResult {
  totalSize: number;
  done: boolean;
  /** `/services/data/v67.0/query/01g…-2000` while `done` is false. */
  nextRecordsUrl?: string;
  records: SObjectRecord[];
}

export interface DeletedResult {
  deletedRecords: Array<{ id: string; deletedDate: string }>;
  earliestDateAvailable?: string | null;
  latestDateCovered?: string | null;
}

interface SaveResult {
  id: string;
  success: boolean;
  errors: unknown[];
}

/**
 * The REST calls the provider makes, against the instance the token answer named
 * (`instance_url`); `fetch` already carries the bearer token (bearerFetch).
 */
export class SalesforceApi {
  constructor(
    private readonly fetch: typeof globalThis.fetch,
    private readonly tokens: OAuthTokenSource,
  ) {}

  query(soql: string, options: { includeDeleted?: boolean } = {}): Promise<QueryResult> {
    const resource = options.includeDeleted ? 'queryAll' : 'query';
    return this.call<QueryResult>('GET', `${DATA_PATH}/${resource}?${new URLSearchParams({ q: soql }).toString()}`);
  }

  /** The next batch of a query: `nextRecordsUrl` is a path on the instance. */
  queryMore(nextRecordsUrl: string): Promise<QueryResult> {
    if (!nextRecordsUrl.startsWith('/services/data/')) throw new Error(`unexpected Salesforce nextRecordsUrl ${nextRecordsUrl}`);
    return this.call<QueryResult>('GET', nextRecordsUrl);
  }

  /**
   * The object's field names, or null when its metadata has not changed since `ifModifiedSince`
   * (Salesforce answers the describe 304 then). `at` is the org's time of the answer (its Date).
   */
  async describeFields(sobject: string, ifModifiedSince: Date | null = null): Promise<{ names: string[]; at: Date } | null> {
    const url = new URL(`${DATA_PATH}/sobjects/${sobject}/describe`, await this.instanceUrl());
    let answer;
    try {
      answer = await requestJson<{ fields?: Array<{ name?: unknown }> }>(this.fetch, { url, ...(ifModifiedSince ? { headers: { 'if-modified-since': ifModifiedSince.toUTCString() } } : {}) }, readSalesforceError);
    } catch (error) {
      if (ifModifiedSince && error instanceof UpstreamRequestError && error.status === 304) return null;
      throw error;
    }
    const names = (answer.body.fields ?? []).map((f) => f.name).filter((n): n is string => typeof n === 'string');
    if (!names.includes('Id') || !names.includes('SystemModstamp')) throw new Error(`the ${sobject} describe lists no Id or SystemModstamp field`);
    const date = Date.parse(answer.headers.get('date') ?? '');
    return { names, at: new Date(Number.isFinite(date) ? date : Date.now()) };
  }

  deleted(sobject: string, start: string, end: string): Promise<DeletedResult> {
    return this.call<DeletedResult>('GET', `${DATA_PATH}/sobjects/${sobject}/deleted/?${new URLSearchParams({ start, end }).toString()}`);
  }

  retrieve(sobject: string, id: string): Promise<SObjectRecord> {
    return this.call<SObjectRecord>('GET', `${DATA_PATH}/sobjects/${sobject}/${encodeURIComponent(id)}`);
  }

  async create(sobject: string, fields: Record<string, unknown>): Promise<string> {
    const result = await this.call<SaveResult>('POST', `${DATA_PATH}/sobjects/${sobject}/`, fields);
    if (!result.success || typeof result.id !== 'string') throw new UpstreamRequestError(`Salesforce did not create the ${sobject}: ${JSON.stringify(result.errors)}`, 400, 'CREATE_FAILED');
    return result.id;
  }

  async update(sobject: string, id: string, fields: Record<string, unknown>): Promise<void> {
    await this.call<unknown>('PATCH', `${DATA_PATH}/sobjects/${sobject}/${encodeURIComponent(id)}`, fields);
  }

  async delete(sobject: string, id: string): Promise<void> {
    await this.call<unknown>('DELETE', `${DATA_PATH}/sobjects/${sobject}/${encodeURIComponent(id)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, await this.instanceUrl());
    const answer = await requestJson<T>(this.fetch, { method, url, ...(body === undefined ? {} : { body }) }, readSalesforceError);
    return answer.body;
  }

  private async instanceUrl(): Promise<string> {
    const { metadata } = await this.tokens.current();
    const instance = metadata.instance_url;
    if (typeof instance !== 'string' || instance === '') throw new UpstreamAuthError('the Salesforce token answer named no instance_url', 401);
    return instance;
  }
}
