import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { decodeForm, type FormValue } from '../../../src/emulators/stripe/form.ts';
import type { RecordedExchange } from '../../../src/emulators/kit/http-emulator.ts';
import { isObject, loadApiDocument, pointer, type ApiDocument, type DescriptionSupplement, type Json, type JsonObject } from './document.ts';
import { OperationIndex, type OperationMatch } from './operations.ts';

/*
 * Checks recorded exchanges (a provider's request and the emulator's answer) against the
 * provider's own OpenAPI 3.0 description: the operation exists for the method and path, its
 * path and query parameters and its request body are valid, and the answer matches the
 * operation's response schema for its status (or `default`).
 */

const addFormats = addFormatsModule.default;

/** Where the description is wrong or incomplete: violations matching `match` are counted as allowed, with the reason. */
export interface AllowEntry {
  match: RegExp;
  reason: string;
}

export interface ApiDescription {
  /** The OpenAPI 3.0 JSON file. */
  document: string;
  /** A prefix in front of the description's paths that a gateway adds (Jira's `/ex/jira/{cloudId}`). */
  gatewayPrefix?: RegExp;
  /**
   * Operations the published description lacks but the provider serves (and the provider uses),
   * written from the provider's current API reference; each is checked like the rest.
   */
  supplement?: DescriptionSupplement;
  allow: AllowEntry[];
}

export interface ExchangeVerdict {
  /** e.g. `GET /v1/customers`; null when no operation is described for the exchange. */
  operation: string | null;
  answerValidated: boolean;
  /** The answer has a status the operation does not describe and it was an injected fault (not the emulator's own answer). */
  faultNotDescribed: boolean;
  violations: string[];
}

type Mode = 'answer' | 'request';

/** The ajv instances of one document (answers as they are; requests with strings coerced, as a server reads a query or a form). */
class Validators {
  private readonly ajv: Record<Mode, Ajv>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: ApiDocument) {
    const make = (coerce: boolean): Ajv => {
      const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, unicodeRegExp: false, ...(coerce ? { coerceTypes: 'array' as const } : {}) });
      addFormats(ajv);
      for (const format of document.formats) if (!ajv.formats[format]) ajv.addFormat(format, true);
      ajv.addSchema(document.root, 'api');
      return ajv;
    };
    this.ajv = { answer: make(false), request: make(true) };
  }

  /** A validator for the schema at `fragment` (a `#/…` pointer into the document), compiled once. */
  at(mode: Mode, fragment: string): ValidateFunction {
    return this.compiledOnce(`${mode} ${fragment}`, () => this.ajv[mode].compile({ $ref: `api${fragment}` }));
  }

  /** A validator for an object made of the schemas at `properties` (query or path parameters), compiled once per `key`. */
  object(key: string, properties: Record<string, string>, required: string[]): ValidateFunction {
    return this.compiledOnce(`object ${key}`, () =>
      this.ajv.request.compile({
        type: 'object',
        properties: Object.fromEntries(Object.entries(properties).map(([name, fragment]) => [name, { $ref: `api${fragment}` }])),
        required,
      }),
    );
  }

  private compiledOnce(key: string, compile: () => ValidateFunction): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = compile();
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

const prepared = new Map<ApiDocument, { document: ApiDocument; index: OperationIndex; validators: Validators }>();

function prepare(description: ApiDescription) {
  const document = loadApiDocument(description.document, description.supplement);
  let entry = prepared.get(document);
  if (!entry) {
    entry = { document, index: new OperationIndex(document), validators: new Validators(document) };
    prepared.set(document, entry);
  }
  return entry;
}

export class ApiDescriptionChecker {
  private readonly document: ApiDocument;
  private readonly index: OperationIndex;
  private readonly validators: Validators;

  constructor(private readonly description: ApiDescription) {
    ({ document: this.document, index: this.index, validators: this.validators } = prepare(description));
  }

  check(exchange: RecordedExchange): ExchangeVerdict {
    const path = this.description.gatewayPrefix ? exchange.path.replace(this.description.gatewayPrefix, '') : exchange.path;
    const found = this.index.find(exchange.method, path);
    const verdict: ExchangeVerdict = { operation: null, answerValidated: false, faultNotDescribed: false, violations: [] };
    if (found === null || found === 'method not described') {
      verdict.violations.push(`${exchange.method} ${path}: ${found === null ? 'no path of the description matches' : 'the path is described, the method is not'}`);
      return verdict;
    }
    verdict.operation = found.name;
    const violation = (what: string) => verdict.violations.push(`${found.name}: ${what}`);
    this.checkParameters(found, exchange, violation);
    this.checkRequestBody(found, exchange, violation);
    this.checkAnswer(found, exchange, verdict, violation);
    return verdict;
  }

  private checkParameters(found: OperationMatch, exchange: RecordedExchange, violation: (what: string) => void): void {
    const byName = new Map<string, { location: string; fragment: string; parameter: JsonObject }>();
    for (const at of found.parameters) {
      const { value, fragment } = this.follow(at);
      if (!isObject(value) || typeof value.name !== 'string' || typeof value.in !== 'string') continue;
      byName.set(`${value.in} ${value.name}`, { location: value.in, fragment, parameter: value });
    }
    const query = new URLSearchParams(exchange.query);
    const bracketed = decodeForm(exchange.query);
    const queryValues: Record<string, Json> = {};
    const queryRequired: string[] = [];
    const querySchemas: Record<string, string> = {};
    const pathValues: Record<string, Json> = { ...found.pathParameters };
    const pathSchemas: Record<string, string> = {};
    for (const { location, fragment, parameter } of byName.values()) {
      const name = parameter.name as string;
      if (location === 'path') pathSchemas[name] = `${fragment}/schema`;
      if (location !== 'query') continue;
      querySchemas[name] = `${fragment}/schema`;
      if (parameter.required === true) queryRequired.push(name);
      const keys = [...query.keys()].filter((key) => rootName(key) === name);
      if (keys.length === 0) continue;
      if (parameter.style === 'deepObject' || keys.some((key) => key !== name)) queryValues[name] = arraysFromIndexed(bracketed[name] ?? '');
      else if (this.isArraySchema(`${fragment}/schema`)) {
        const all = query.getAll(name);
        queryValues[name] = parameter.explode === false ? (all.at(-1) ?? '').split(',') : all;
      } else queryValues[name] = query.getAll(name).at(-1) ?? '';
    }
    for (const name of new Set([...query.keys()].map(rootName))) if (!(name in querySchemas)) violation(`query parameter "${name}" is not described`);
    const queryCheck = this.validators.object(`${found.name} query`, querySchemas, queryRequired);
    if (!queryCheck(queryValues)) for (const error of describeErrors(queryCheck.errors)) violation(`query ${error}`);
    const pathCheck = this.validators.object(`${found.name} path`, pathSchemas, []);
    if (!pathCheck(pathValues)) for (const error of describeErrors(pathCheck.errors)) violation(`path ${error}`);
  }

  private checkRequestBody(found: OperationMatch, exchange: RecordedExchange, violation: (what: string) => void): void {
    const at = pointer('paths', found.template, found.method, 'requestBody');
    const { value: requestBody, fragment } = this.follow(at);
    if (!isObject(requestBody)) {
      if (exchange.requestBody.length > 0) violation('sends a request body, the operation takes none');
      return;
    }
    if (exchange.requestBody.length === 0) {
      if (requestBody.required === true) violation('sends no request body, the operation requires one');
      return;
    }
    const contentType = mediaType(exchange.requestContentType);
    const content = isObject(requestBody.content) ? requestBody.content : {};
    if (!isObject(content[contentType])) {
      violation(`request content type "${contentType}" is not described (${Object.keys(content).join(', ')})`);
      return;
    }
    const schemaAt = `${fragment}${pointer('content', contentType, 'schema').slice(1)}`;
    let body: Json;
    if (contentType === 'application/x-www-form-urlencoded') body = arraysFromIndexed(decodeForm(exchange.requestBody));
    else {
      const parsed = parseJson(exchange.requestBody);
      if (parsed === undefined) return void violation('request body is not JSON');
      body = parsed;
    }
    const validate = this.validators.at(contentType === 'application/x-www-form-urlencoded' ? 'request' : 'answer', schemaAt);
    if (!validate(body)) for (const error of describeErrors(validate.errors)) violation(`request body ${error}`);
  }

  private checkAnswer(found: OperationMatch, exchange: RecordedExchange, verdict: ExchangeVerdict, violation: (what: string) => void): void {
    const responses = this.follow(pointer('paths', found.template, found.method, 'responses')).value;
    const statusKey = [String(exchange.status), `${String(exchange.status)[0]}XX`, 'default'].find((key) => isObject(responses) && key in responses);
    if (statusKey === undefined) {
      if (exchange.fault) verdict.faultNotDescribed = true;
      else violation(`answers ${exchange.status}, a status the operation does not describe`);
      return;
    }
    const { value: response, fragment } = this.follow(pointer('paths', found.template, found.method, 'responses', statusKey));
    const content = isObject(response) && isObject(response.content) ? response.content : {};
    if (Object.keys(content).length === 0) {
      if (exchange.answerBody.length > 0) violation(`answers ${exchange.status} with a body, the description has none`);
      return;
    }
    const contentType = mediaType(exchange.answerContentType);
    const described = isObject(content[contentType]) ? contentType : isObject(content['*/*']) ? '*/*' : null;
    if (described === null) return void violation(`answers ${exchange.status} as "${contentType}", described: ${Object.keys(content).join(', ')}`);
    if (exchange.cut) return;
    // 204 and 304 answers have no content (RFC 9110) whatever a description lists for them.
    if (exchange.status === 204 || exchange.status === 304) {
      if (exchange.answerBody.length > 0) violation(`answers ${exchange.status} with a body`);
      return;
    }
    const body = parseJson(exchange.answerBody);
    if (body === undefined) return void violation(`answers ${exchange.status} with a body that is not JSON`);
    const validate = this.validators.at('answer', `${fragment}${pointer('content', described, 'schema').slice(1)}`);
    verdict.answerValidated = true;
    if (!validate(body)) for (const error of describeErrors(validate.errors)) violation(`answer ${exchange.status} ${error}`);
  }

  /** The value at a `#/…` fragment, `$ref`s followed, and the fragment it was finally found at. */
  private follow(fragment: string): { value: Json | undefined; fragment: string } {
    let at = fragment;
    let value = valueAt(this.document.root, at);
    for (let hops = 0; hops < 20 && isObject(value) && typeof value.$ref === 'string' && value.$ref.startsWith('#/'); hops++) {
      at = value.$ref;
      value = valueAt(this.document.root, at);
    }
    return { value, fragment: at };
  }

  private isArraySchema(fragment: string): boolean {
    const schema = this.follow(fragment).value;
    if (!isObject(schema)) return false;
    return schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array'));
  }
}

function valueAt(root: JsonObject, fragment: string): Json | undefined {
  let value: Json | undefined = root;
  for (const raw of fragment.slice(2).split('/')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    value = isObject(value) ? value[segment] : Array.isArray(value) ? value[Number(segment)] : undefined;
    if (value === undefined) return undefined;
  }
  return value;
}

const rootName = (key: string): string => (key.indexOf('[') > 0 ? key.slice(0, key.indexOf('[')) : key);

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0]!.trim().toLowerCase();

function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Stripe's bracket syntax decodes arrays (`expand[]=a`, `items[0][price]=…`) as objects keyed 0…n-1: they are arrays here. */
function arraysFromIndexed(value: FormValue): Json {
  if (typeof value === 'string') return value;
  const keys = Object.keys(value);
  const entries = keys.map((key) => [key, arraysFromIndexed(value[key]!)] as const);
  if (keys.length > 0 && keys.every((key, i) => key === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}

/** One message per distinct error; array indices read `*` so one mistake in every item of a list is one message. */
function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return [...new Set((errors ?? []).map((e) => `${e.instancePath.replace(/\/\d+(?=\/|$)/g, '/*') || '/'} ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' || e.keyword === 'enum' || e.keyword === 'required' ? ` ${JSON.stringify(e.params)}` : ''}`))];
}
