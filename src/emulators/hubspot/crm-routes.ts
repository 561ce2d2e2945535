/** `/crm/v3/objects/{objectType}[/{id}|/search]`: HubSpot's CRM v3 objects API over the store. */

import { jsonBody, type EmulatorAnswer, type EmulatorRequest } from '../kit/http-emulator.ts';
import { hubspotError, notFound, unknownPath, validationError } from './errors.ts';
import { parseSearchRequest, SEARCH_RESULT_CAP, searchObjects } from './search.ts';
import type { PropertyValues } from './seed.ts';
import { schemaOfObjectType, type ObjectTypeSchema } from './schema.ts';
import { renderObject, selectProperties, type HubSpotStore } from './store.ts';

const LIST_DEFAULT_LIMIT = 10;
const LIST_MAX_LIMIT = 100;
const PATH = /^\/crm\/v3\/objects\/([^/]+)(?:\/([^/]+))?\/?$/;

/** `properties` as HubSpot reads it: comma-separated, repeatable. */
function requestedProperties(query: URLSearchParams): string[] | null {
  const names = query.getAll('properties').flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '');
  return names.length === 0 ? null : names;
}

function booleanParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === '') return false;
  if (value === 'true' || value === 'false') return value === 'true';
  throw validationError(`${name} must be true or false, got "${value}"`);
}

const invalidJson = (): EmulatorAnswer => ({ status: 400, body: { status: 'error', message: 'Invalid input JSON on line 1', category: 'VALIDATION_ERROR' } });

/** The `properties` of a create or update, checked against the schema as HubSpot does. */
function writableProperties(schema: ObjectTypeSchema, body: unknown): PropertyValues {
  const raw = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).properties : undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw validationError('Invalid input JSON: the body needs a "properties" object');
  const known = new Set(schema.properties);
  const readOnly = new Set(schema.readOnly);
  const problems: Record<string, unknown>[] = [];
  const values: PropertyValues = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!known.has(name)) problems.push({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name });
    else if (readOnly.has(name)) problems.push({ isValid: false, message: `"${name}" is a read only property; its value cannot be set.`, error: 'READ_ONLY_VALUE', name });
    else if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[name] = value === null || value === '' ? null : String(value);
    else problems.push({ isValid: false, message: `${JSON.stringify(value)} is not a valid value for "${name}"`, error: 'INVALID_OPTION', name });
  }
  if (problems.length > 0) throw validationError(`Property values were not valid: ${JSON.stringify(problems)}`, { errors: problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } })) });
  return values;
}

export class CrmRoutes {
  constructor(private readonly store: HubSpotStore) {}

  /** The answer, or null when the path is not a CRM objects path. */
  handle(request: EmulatorRequest): EmulatorAnswer | null {
    const match = PATH.exec(request.path);
    if (!match) return null;
    const schema = schemaOfObjectType(decodeURIComponent(match[1] as string));
    if (!schema) throw unknownPath(request.method, request.path);
    const second = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    if (second === 'search') {
      if (request.method !== 'POST') throw unknownPath(request.method, request.path);
      return this.search(schema, request);
    }
    if (second === undefined) {
      if (request.method === 'GET') return this.list(schema, request);
      if (request.method === 'POST') return this.create(schema, request);
      throw unknownPath(request.method, request.path);
    }
    switch (request.method) {
      case 'GET':
        return this.read(schema, second, request);
      case 'PATCH':
        return this.update(schema, second, request);
      case 'DELETE':
        return this.archive(schema, second);
      default:
        throw unknownPath(request.method, request.path);
    }
  }

  private list(schema: ObjectTypeSchema, request: EmulatorRequest): EmulatorAnswer {
    const { query } = request;
    const rawLimit = query.get('limit');
    const limit = rawLimit === null ? LIST_DEFAULT_LIMIT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1) throw validationError(`limit must be a positive integer, got "${rawLimit}"`);
    const pageSize = Math.min(limit, LIST_MAX_LIMIT);
    const after = query.get('after');
    if (after !== null && !/^\d+$/.test(after)) throw validationError(`after must be a paging cursor from paging.next.after, got "${after}"`);
    const archived = booleanParam(query, 'archived');
    const properties = selectProperties(schema, requestedProperties(query));
    const all = this.store.list(schema.collection, archived);
    const start = after === null ? 0 : all.findIndex((o) => Number(o.id) >= Number(after));
    const page = start === -1 ? [] : all.slice(start, start + pageSize);
    const next = start === -1 ? undefined : all[start + pageSize];
    const body: Record<string, unknown> = { results: page.map((o) => renderObject(o, properties)) };
    if (next) {
      const link = new URLSearchParams(query);
      link.set('after', next.id);
      body.paging = { next: { after: next.id, link: `${request.baseUrl}/crm/v3/objects/${schema.objectType}?${link.toString()}` } };
    }
    return { status: 200, body };
  }

  private search(schema: ObjectTypeSchema, request: EmulatorRequest): EmulatorAnswer {
    const search = parseSearchRequest(jsonBody(request, invalidJson));
    if (search.offset >= SEARCH_RESULT_CAP || search.offset + search.limit > SEARCH_RESULT_CAP) {
      throw validationError(`Search results are limited to ${SEARCH_RESULT_CAP} total results for a query; narrow the query instead of paging past it (after=${search.offset}, limit=${search.limit}).`);
    }
    const found = searchObjects(this.store.list(schema.collection, false), search);
    const properties = selectProperties(schema, search.properties);
    const page = found.slice(search.offset, search.offset + search.limit);
    const nextOffset = search.offset + page.length;
    const body: Record<string, unknown> = { total: found.length, results: page.map((o) => renderObject(o, properties)) };
    if (nextOffset < found.length && nextOffset < SEARCH_RESULT_CAP) body.paging = { next: { after: String(nextOffset) } };
    return { status: 200, body };
  }

  private read(schema: ObjectTypeSchema, id: string, request: EmulatorRequest): EmulatorAnswer {
    const object = this.store.get(schema.collection, id, booleanParam(request.query, 'archived'));
    if (!object) throw notFound(id);
    return { status: 200, body: renderObject(object, selectProperties(schema, requestedProperties(request.query))) };
  }

  private create(schema: ObjectTypeSchema, request: EmulatorRequest): EmulatorAnswer {
    const values = writableProperties(schema, jsonBody(request, invalidJson));
    if (schema.collection === 'contact' && values.email) {
      const existing = this.store.findLive('contact', 'email', values.email);
      if (existing) throw hubspotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`);
    }
    if (schema.collection === 'contact' && values.email) values.hs_email_domain = values.email.slice(values.email.indexOf('@') + 1) || null;
    const created = this.store.create(schema.collection, values);
    return { status: 201, body: renderObject(created, this.writeAnswerProperties(schema, values)) };
  }

  private update(schema: ObjectTypeSchema, id: string, request: EmulatorRequest): EmulatorAnswer {
    const values = writableProperties(schema, jsonBody(request, invalidJson));
    if (schema.collection === 'contact' && values.email) {
      const existing = this.store.findLive('contact', 'email', values.email);
      if (existing && existing.id !== id) throw hubspotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`);
    }
    const updated = this.store.update(schema.collection, id, values);
    if (!updated) throw notFound(id);
    return { status: 200, body: renderObject(updated, this.writeAnswerProperties(schema, values)) };
  }

  private archive(schema: ObjectTypeSchema, id: string): EmulatorAnswer {
    // HubSpot answers 204 for an id that is already archived or never existed, too.
    this.store.archive(schema.collection, id);
    return { status: 204 };
  }

  /** A write answers the properties it set plus the type's defaults. */
  private writeAnswerProperties(schema: ObjectTypeSchema, values: PropertyValues): string[] {
    return [...new Set([...schema.defaultProperties, ...Object.keys(values)])].sort();
  }
}
