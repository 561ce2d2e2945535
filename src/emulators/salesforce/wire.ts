import { createHmac } from 'node:crypto';
import { basicCredentials, bearerToken, EmulatorError, jsonBody, type EmulatorAnswer, type EmulatorRequest, type EmulatorWireFormat, type RateLimitState } from '../kit/http-emulator.ts';
import type { GrantResult, OAuthIssuer } from '../kit/oauth-issuer.ts';
import { parseSfDateTime, sfDateTime } from './ids.ts';
import { QueryLocators } from './query-locators.ts';
import { describe, type SObjectDef } from './schema.ts';
import { bindQuery, parseSoql } from './soql.ts';
import { API_PATH, NEWEST_VERSION, OrgStore } from './store.ts';
import { oauthError, sfError } from './wire-errors.ts';

export interface SalesforceWireOptions {
  store: OrgStore;
  issuer: OAuthIssuer;
  orgId: string;
  /** Records per query batch unless `Sforce-Query-Options: batchSize=` asks otherwise. */
  defaultBatchSize: number;
  /** The org's API requests per 24 hours (the `M` of `Sforce-Limit-Info: api-usage=N/M`). */
  dailyApiLimit: number;
  /** The instance URL the token endpoint names (the emulator's own address). */
  instanceUrl(): string;
}

const DATA_PREFIX = '/services/data/';
const LOGIN_PREFIX = '/services/oauth2/';
const DELETE_LOG_DAYS = 15;

/** Salesforce's wire format: login endpoints, REST errors as arrays, api-usage accounting. */
export class SalesforceWire implements EmulatorWireFormat {
  readonly name = 'salesforce';
  readonly locators = new QueryLocators(API_PATH);
  apiUsage = 0;
  private readonly startedAt = Date.now();

  constructor(private readonly options: SalesforceWireOptions) {}

  authenticate(request: EmulatorRequest): void {
    if (!request.path.startsWith(DATA_PREFIX)) return;
    const token = bearerToken(request);
    if (!token || !this.options.issuer.isValid(token)) throw new EmulatorError(sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid'));
  }

  rateLimited(): EmulatorAnswer {
    return sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
  }

  internalError(): EmulatorAnswer {
    return sfError(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-123456789)');
  }

  answerHeaders(request: EmulatorRequest, _state: RateLimitState | null): Record<string, string> {
    if (!request.path.startsWith(DATA_PREFIX)) return {};
    return { 'Sforce-Limit-Info': `api-usage=${this.apiUsage}/${this.options.dailyApiLimit}` };
  }

  handle(request: EmulatorRequest): EmulatorAnswer {
    if (request.path.startsWith(LOGIN_PREFIX)) return this.login(request);
    if (!request.path.startsWith(DATA_PREFIX)) throw new EmulatorError(sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
    if (this.apiUsage >= this.options.dailyApiLimit) throw new EmulatorError(this.rateLimited());
    this.apiUsage++;
    return this.data(request);
  }

  private login(request: EmulatorRequest): EmulatorAnswer {
    const action = request.path.slice(LOGIN_PREFIX.length);
    if (action === 'authorize' && request.method === 'GET') return this.authorize(request);
    if (action === 'token' && request.method === 'POST') return this.token(request);
    throw new EmulatorError({ status: 404, body: 'Not Found', headers: { 'Content-Type': 'text/plain' } });
  }

  /** The consent page approves at once: a 302 to `redirect_uri` with the code and the state. */
  private authorize(request: EmulatorRequest): EmulatorAnswer {
    const q = request.query;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!redirectUri) throw new EmulatorError(oauthError(400, 'redirect_uri_missing', 'redirect_uri must match configuration'));
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (q.get('response_type') !== 'code') {
      back.searchParams.set('error', 'unsupported_response_type');
      back.searchParams.set('error_description', 'response type not supported');
    } else {
      const code = this.options.issuer.issueCode(clientId, redirectUri, (q.get('scope') ?? '').split(/\s+/).filter(Boolean));
      if (!code) throw new EmulatorError(oauthError(400, 'invalid_client_id', 'client identifier invalid'));
      back.searchParams.set('code', code);
    }
    return { status: 302, headers: { Location: back.toString() }, body: '' };
  }

  private token(request: EmulatorRequest): EmulatorAnswer {
    const form = new URLSearchParams(request.body);
    const basic = basicCredentials(request);
    const clientId = form.get('client_id') ?? basic?.user ?? '';
    const clientSecret = form.get('client_secret') ?? basic?.password ?? '';
    const issuer = this.options.issuer;
    if (!issuer.clients.some((c) => c.clientId === clientId)) throw new EmulatorError(oauthError(400, 'invalid_client_id', 'client identifier invalid'));
    const client = { clientId, clientSecret };
    const grantType = form.get('grant_type');
    let result: GrantResult;
    if (grantType === 'authorization_code') result = issuer.exchangeCode(client, form.get('code') ?? '', form.get('redirect_uri') ?? '');
    else if (grantType === 'refresh_token') result = issuer.refresh(client, form.get('refresh_token') ?? '');
    else throw new EmulatorError(oauthError(400, 'unsupported_grant_type', 'grant type not supported'));
    if (!result.ok) {
      if (result.error === 'invalid_client') throw new EmulatorError(oauthError(400, 'invalid_client', 'invalid client credentials'));
      throw new EmulatorError(oauthError(400, 'invalid_grant', grantType === 'refresh_token' ? 'expired access/refresh token' : 'authentication failure'));
    }
    const issuedAt = String(Date.now());
    const id = `${this.options.instanceUrl()}/id/${this.options.orgId}/${this.options.store.userId}`;
    const body: Record<string, unknown> = {
      access_token: result.tokens.accessToken,
      ...(grantType === 'authorization_code' ? { refresh_token: result.tokens.refreshToken } : {}),
      signature: createHmac('sha256', clientSecret).update(id + issuedAt).digest('base64'),
      scope: 'api refresh_token',
      instance_url: this.options.instanceUrl(),
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
    return { status: 200, body };
  }

  private data(request: EmulatorRequest): EmulatorAnswer {
    const rest = request.path.slice(DATA_PREFIX.length).replace(/\/+$/, '');
    if (rest === '') return { status: 200, body: versions() };
    const m = /^v(\d+\.\d)(?:\/(.*))?$/.exec(rest);
    if (!m || Number(m[1]) < 20 || Number(m[1]) > NEWEST_VERSION) throw new EmulatorError(sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
    const parts = (m[2] ?? '').split('/').map(decodeURIComponent);
    const [resource, ...args] = parts;
    if ((resource === 'query' || resource === 'queryAll') && request.method === 'GET') {
      if (args.length === 1) return { status: 200, body: this.locators.more(args[0] as string) };
      if (args.length === 0) return { status: 200, body: this.query(request, resource === 'queryAll') };
    }
    if (resource === 'sobjects' && args.length >= 1) return this.sobjects(request, args);
    throw new EmulatorError(sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
  }

  private query(request: EmulatorRequest, includeDeleted: boolean): unknown {
    const soql = request.query.get('q');
    if (!soql) throw new EmulatorError(sfError(400, 'MALFORMED_QUERY', 'A query string has to be specified'));
    const query = bindQuery(parseSoql(soql), (name) => this.options.store.sobjectDef(name));
    const records = this.options.store
      .list(query.sobject, includeDeleted)
      .filter((r) => query.matches(r.fields))
      .sort((a, b) => query.compare(a.fields, b.fields));
    const views = (query.limit === null ? records : records.slice(0, query.limit)).map((r) => OrgStore.view(r, query.fields));
    return this.locators.first(views, this.batchSize(request));
  }

  private batchSize(request: EmulatorRequest): number {
    const m = /batchSize\s*=\s*(\d+)/i.exec(request.header('sforce-query-options') ?? '');
    // Salesforce takes 200..2000 and treats the size as a hint.
    return m ? Math.min(2000, Math.max(200, Number(m[1]))) : this.options.defaultBatchSize;
  }

  private sobjects(request: EmulatorRequest, [name, ...args]: string[]): EmulatorAnswer {
    const sobject = this.options.store.sobjectDef(name as string);
    if (!sobject) throw new EmulatorError(sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
    const store = this.options.store;
    const allow = (methods: string[]): void => {
      if (!methods.includes(request.method)) throw new EmulatorError(sfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${request.method}' not allowed. Allowed are ${methods.join(',')}`));
    };
    if (args.length === 0) {
      allow(['GET', 'POST']);
      if (request.method === 'GET') return { status: 200, body: { objectDescribe: { name: sobject.name, keyPrefix: sobject.keyPrefix, label: sobject.label }, recentItems: [] } };
      const record = store.create(sobject, this.fieldMap(request));
      return { status: 201, body: { id: record.fields.Id, success: true, errors: [] } };
    }
    const [sub] = args;
    if (args.length === 1 && sub === 'describe') {
      allow(['GET']);
      // Salesforce answers 304 when the object's metadata has not changed since If-Modified-Since (an HTTP date, whole seconds).
      const since = Date.parse(request.header('if-modified-since') ?? '');
      if (Number.isFinite(since) && Math.floor(store.metadataModifiedAt(sobject) / 1000) * 1000 <= since) return { status: 304, body: '' };
      return { status: 200, body: describe(sobject, API_PATH) };
    }
    if (args.length === 1 && sub === 'deleted') {
      allow(['GET']);
      return { status: 200, body: this.deleted(sobject, request) };
    }
    if (args.length !== 1) throw new EmulatorError(sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
    allow(['GET', 'PATCH', 'DELETE']);
    const id = sub as string;
    if (request.method === 'GET') {
      const fields = request.query.get('fields');
      const record = store.get(sobject, id);
      return { status: 200, body: OrgStore.view(record, fields ? bindQuery(parseSoql(`SELECT ${fields} FROM ${sobject.name}`), (n) => store.sobjectDef(n)).fields : null) };
    }
    if (request.method === 'PATCH') store.update(sobject, id, this.fieldMap(request));
    else store.delete(sobject, id);
    return { status: 204 };
  }

  private fieldMap(request: EmulatorRequest): Record<string, unknown> {
    const body = jsonBody(request, () => sfError(400, 'JSON_PARSER_ERROR', 'Unexpected character: was expecting a JSON value'));
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new EmulatorError(sfError(400, 'JSON_PARSER_ERROR', 'Cannot deserialize instance of sObject from a non-object'));
    return body as Record<string, unknown>;
  }

  /** The delete log between `start` and `end` (seconds ignored), as the Get Deleted resource answers it. */
  private deleted(sobject: SObjectDef, request: EmulatorRequest): unknown {
    const invalid = (message: string) => new EmulatorError(sfError(400, 'INVALID_REPLICATION_DATE', message));
    const start = parseSfDateTime(request.query.get('start') ?? '');
    const end = parseSfDateTime(request.query.get('end') ?? '');
    if (start === null || end === null) throw invalid('start and end must be ISO 8601 dateTimes');
    const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;
    if (end - start <= 60_000) throw invalid('startDate must chronologically precede endDate by more than one minute');
    const now = Date.now();
    const earliest = minute(Math.min(this.startedAt, now - DELETE_LOG_DAYS * 24 * 3600_000));
    if (start < now - DELETE_LOG_DAYS * 24 * 3600_000) throw invalid(`startDate cannot be more than ${DELETE_LOG_DAYS} days ago`);
    const from = minute(start);
    const deletedRecords = this.options.store.deletedLog
      .filter((e) => e.sobject === sobject.name && e.deletedAt >= from && e.deletedAt <= end)
      .map((e) => ({ id: e.id, deletedDate: sfDateTime(e.deletedAt) }));
    return { deletedRecords, earliestDateAvailable: sfDateTime(earliest), latestDateCovered: sfDateTime(minute(Math.min(end, now))) };
  }
}

/** `GET /services/data/`: every version served, oldest first, with its release (three a year: 20.0 was Winter '11, 60.0 Spring '24). */
function versions(): Array<{ label: string; url: string; version: string }> {
  const seasons = ['Winter', 'Spring', 'Summer'] as const;
  const out: Array<{ label: string; url: string; version: string }> = [];
  for (let v = 20; v <= NEWEST_VERSION; v++) {
    const i = v - 20;
    out.push({ label: `${seasons[i % 3]} '${11 + Math.floor(i / 3)}`, url: `/services/data/v${v}.0`, version: `${v}.0` });
  }
  return out;
}
