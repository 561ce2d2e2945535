import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { restApiDocument } from '../../src/http/rest-api.ts';

/*
 * Checks one REST exchange (a request and its answer) against the OpenAPI document the server
 * serves at /openapi.json (generated here from the same module). test/support/api.ts runs it on
 * every call of the REST test client, so the REST suite checks that every route answers in the
 * shape it declares:
 * - the answer's status is one the operation documents, its body matches that status's schema
 *   (JSON Schema 2020-12, with formats), and its required headers are there;
 * - a request the document says is invalid (body, path or query parameters, a missing token) is
 *   answered 4xx: a test may send invalid input on purpose, but the server must refuse it, and the
 *   refusal must have the error shape;
 * - a path the document does not know answers 404 `route_not_found` (or 405 for another method).
 */

const addFormats = addFormatsModule.default;

type Json = unknown;
interface SchemaHolder {
  schema?: Json;
  required?: boolean;
}
interface Parameter extends SchemaHolder {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
}
interface Response {
  content?: Record<string, SchemaHolder>;
  headers?: Record<string, SchemaHolder>;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, SchemaHolder> };
  responses: Record<string, Response>;
  security?: Record<string, string[]>[];
}
type Document = { paths: Record<string, Record<string, Operation>>; security?: Record<string, string[]>[] };

export interface Exchange {
  method: string;
  /** Path and query, as requested. */
  target: string;
  requestHeaders: Record<string, string>;
  /** What was sent: a value sent as JSON, a string sent as is, or undefined. */
  requestBody: unknown;
  status: number;
  responseHeaders: Headers;
  responseText: string;
}

const METHODS = ['get', 'post', 'patch', 'put', 'delete'] as const;
/** Where the REST router answers; other paths (the console, /graphql) are not the REST API's. */
const REST_AREA = /^\/(v1|api)(\/|$)/;

const pointer = (...segments: string[]) => '#' + segments.map((s) => '/' + encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('');

function describeErrors(where: string, errors: ErrorObject[] | null | undefined, wrapper = ''): string[] {
  return (errors ?? []).map((e) => `${where}${e.instancePath.slice(wrapper.length)}: ${e.message ?? e.keyword}${e.keyword === 'pattern' || e.keyword === 'format' ? '' : ` ${JSON.stringify(e.params)}`}`);
}

const excerpt = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? '(none)' : text.length > 600 ? `${text.slice(0, 600)}…` : text;
};

export class OpenApiChecker {
  private readonly answers = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  /** Parameters arrive as text: their schemas are checked with coercion (`"25"` is an integer). */
  private readonly parameters = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, coerceTypes: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp; names: string[]; statics: number }[];

  constructor(private readonly document: Document) {
    for (const ajv of [this.answers, this.parameters]) {
      addFormats(ajv);
      ajv.addSchema(document as object, 'openapi.json');
    }
    this.templates = Object.keys(document.paths).map((template) => {
      const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '([^/]+)');
      return { template, pattern: new RegExp(`^${source}$`), names, statics: template.split('/').filter((s) => s && !s.startsWith('{')).length };
    });
  }

  private validator(ajv: Ajv2020, ref: string): ValidateFunction {
    const key = `${ajv === this.parameters ? 'parameter' : 'value'} ${ref}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      // A parameter is checked inside an object: coercion replaces a property's value, not the root.
      const target = { $ref: `openapi.json${ref}` };
      validate = ajv.compile(ajv === this.parameters ? { type: 'object', properties: { value: target } } : target);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** The documented path that `/v1/syncs/3f…/status` is, with its parameters; static segments win, as in the router. */
  private match(path: string): { template: string; params: Record<string, string> } | null {
    const found = this.templates
      .map((t) => ({ t, m: t.pattern.exec(path) }))
      .filter((x) => x.m !== null)
      .sort((a, b) => b.t.statics - a.t.statics)[0];
    if (!found) return null;
    return { template: found.t.template, params: Object.fromEntries(found.t.names.map((name, i) => [name, decodeURIComponent(found.m![i + 1]!)])) };
  }

  /** What is wrong with the exchange, as lines; empty when it is as documented. */
  problems(exchange: Exchange): string[] {
    const url = new URL(exchange.target, 'http://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = exchange.method.toLowerCase();
    if (!(METHODS as readonly string[]).includes(method)) return [];
    const matched = this.match(path);
    if (!matched) return REST_AREA.test(path) ? this.unknownRoute(exchange, 404, 'route_not_found') : [];
    const operation = this.document.paths[matched.template]![method];
    if (!operation) return this.unknownRoute(exchange, 405, 'method_not_allowed');
    const at = (...segments: string[]) => pointer('paths', matched.template, method, ...segments);

    const invalidRequest = this.requestProblems(exchange, operation, matched.params, url.searchParams, at);
    const problems: string[] = [];
    const documented = operation.responses[String(exchange.status)] ?? operation.responses.default;
    if (!documented) {
      problems.push(`status ${exchange.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
    } else {
      problems.push(...this.answerProblems(exchange, documented, at('responses', String(exchange.status))));
    }
    if (invalidRequest.length > 0 && (exchange.status < 400 || exchange.status >= 500)) {
      problems.push(`the request does not match the document, yet the server answered ${exchange.status}:`, ...invalidRequest.map((p) => `  ${p}`));
    }
    return problems.length > 0 ? [`${exchange.method} ${matched.template} → ${exchange.status}`, ...problems] : [];
  }

  private unknownRoute(exchange: Exchange, status: number, code: string): string[] {
    const body = parseJson(exchange.responseText);
    const validate = this.validator(this.answers, pointer('components', 'schemas', 'Error'));
    const problems: string[] = [];
    if (exchange.status !== status) problems.push(`no documented route: expected ${status} ${code}, got ${exchange.status}`);
    else if (!body.ok || !validate(body.value)) problems.push(`the ${status} answer is not the error shape`, ...describeErrors('body', validate.errors));
    return problems.length > 0 ? [`${exchange.method} ${exchange.target}`, ...problems] : [];
  }

  private requestProblems(exchange: Exchange, operation: Operation, pathParams: Record<string, string>, query: URLSearchParams, at: (...s: string[]) => string): string[] {
    const problems: string[] = [];
    const security = operation.security ?? this.document.security ?? [];
    const needsToken = security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0);
    const authorization = Object.entries(exchange.requestHeaders).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    if (needsToken && !/^Bearer \S+/.test(authorization ?? '')) problems.push('no bearer token');
    (operation.parameters ?? []).forEach((parameter, i) => {
      if (parameter.in !== 'path' && parameter.in !== 'query') return;
      const value = parameter.in === 'path' ? pathParams[parameter.name] : (query.getAll(parameter.name).at(-1) ?? undefined);
      if (value === undefined) {
        if (parameter.required) problems.push(`${parameter.in} parameter ${parameter.name} is missing`);
        return;
      }
      const validate = this.validator(this.parameters, at('parameters', String(i), 'schema'));
      if (!validate({ value })) problems.push(...describeErrors(`${parameter.in} parameter ${parameter.name}`, validate.errors, '/value'));
    });
    if (operation.requestBody && exchange.method !== 'GET' && exchange.method !== 'DELETE') {
      const sent = exchange.requestBody;
      if (sent === undefined) {
        if (operation.requestBody.required) problems.push('the request body is missing');
      } else {
        const body = typeof sent === 'string' ? parseJson(sent) : { ok: true as const, value: sent };
        if (!body.ok) problems.push('the request body is not JSON');
        else {
          const validate = this.validator(this.answers, at('requestBody', 'content', 'application/json', 'schema'));
          if (!validate(body.value)) problems.push(...describeErrors('request body', validate.errors));
        }
      }
    }
    return problems;
  }

  private answerProblems(exchange: Exchange, response: Response, at: string): string[] {
    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (header.required && !exchange.responseHeaders.has(name)) problems.push(`header ${name} is missing`);
    }
    const contentType = (exchange.responseHeaders.get('content-type') ?? '').split(';')[0]!.trim();
    const media = Object.keys(response.content ?? {});
    if (media.length === 0) {
      if (exchange.responseText !== '') problems.push(`a body where none is documented: ${excerpt(exchange.responseText)}`);
      return problems;
    }
    if (!media.includes(contentType)) return [...problems, `content-type ${contentType || '(none)'}, documented: ${media.join(', ')}`];
    if (contentType !== 'application/json') return problems;
    const body = parseJson(exchange.responseText);
    if (!body.ok) return [...problems, `the body is not JSON: ${excerpt(exchange.responseText)}`];
    const validate = this.validator(this.answers, `${at}${pointer('content', contentType, 'schema').slice(1)}`);
    if (!validate(body.value)) problems.push(...describeErrors('body', validate.errors), `body: ${excerpt(body.value)}`);
    return problems;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

let checker: OpenApiChecker | undefined;

/** Throws, naming the route, the status and what does not match, when the exchange is not as documented. */
export function assertDocumented(exchange: Exchange): void {
  checker ??= new OpenApiChecker(restApiDocument() as unknown as Document);
  const problems = checker.problems(exchange);
  if (problems.length === 0) return;
  const sent = exchange.requestBody === undefined ? '' : `\nrequest body: ${excerpt(exchange.requestBody)}`;
  throw new Error(`OpenAPI check (/openapi.json): ${problems.join('\n  ')}${sent}\n(SYNCLINE_OPENAPI_CHECK=0 turns the check off)`);
}
