import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Json, JsonObject } from './document.ts';

/*
 * An OpenAPI 3.0 description rebuilt from a client that openapi-generator's `typescript`
 * generator made from a provider's own OpenAPI documents (HubSpot publishes its API this way, as
 * `@hubspot/api-client`, without shipping the documents): each request factory names its path,
 * method, query parameters (with their serializer types), JSON or form body and required
 * arguments; each response processor names the model per status; each model carries its
 * `attributeTypeMap`, and its declaration file says which attributes are optional.
 */

const require = createRequire(import.meta.url);

/** One generated module of the client, e.g. `{ module: 'crm/objects', apis: ['BasicApi', 'SearchApi'] }`. */
export interface GeneratedModule {
  module: string;
  apis: string[];
}

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** Builds the description from `packageRoot/lib/codegen/<module>` and answers the path of the JSON file it wrote. */
export function describeGeneratedClient(packageName: string, serverUrl: string, modules: GeneratedModule[]): string {
  const root = path.dirname(require.resolve(`${packageName}/package.json`));
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  for (const { module, apis } of modules) {
    const dir = path.join(root, 'lib', 'codegen', module);
    const prefix = module.replace(/\//g, '.');
    const models = require(path.join(dir, 'models', 'ObjectSerializer.js')) as Record<string, unknown>;
    const ref = (model: string): JsonObject => ({ $ref: `#/components/schemas/${prefix}.${model === 'Error' ? 'ModelError' : model}` });
    for (const [name, value] of Object.entries(models)) {
      if (name === 'ObjectSerializer') continue;
      const attributes = typeof value === 'function' ? (value as unknown as { attributeTypeMap?: unknown }).attributeTypeMap : undefined;
      if (Array.isArray(attributes)) {
        schemas[`${prefix}.${name}`] = modelSchema(dir, name, attributes as Attribute[], models, ref);
      } else if (value && typeof value === 'object' && Object.values(value).every((v) => typeof v === 'string')) {
        schemas[`${prefix}.${name}`] = { type: 'string', enum: Object.values(value) as string[] };
      }
    }
    for (const api of apis) {
      for (const [template, method, operation] of operationsOf(readFileSync(path.join(dir, 'apis', `${api}.js`), 'utf8'), models, ref)) {
        const item = (paths[template] ??= {}) as JsonObject;
        if (method in item) throw new Error(`${packageName}: ${method.toUpperCase()} ${template} is generated twice`);
        item[method] = operation;
      }
    }
  }
  const document: JsonObject = { openapi: '3.0.3', info: { title: `${packageName} (rebuilt from its generated client)`, version: packageVersion(root) }, servers: [{ url: serverUrl }], paths, components: { schemas } };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'api-description-')), `${packageName.replace(/\W+/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

const packageVersion = (root: string): string => (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** The attributes a model's declaration file marks optional (`'name'?: …`). */
function optionalAttributes(dir: string, model: string): Set<string> {
  const declaration = readFileSync(path.join(dir, 'models', `${model}.d.ts`), 'utf8');
  const body = declaration.slice(declaration.indexOf(`export declare class ${model} {`));
  return new Set([...body.matchAll(/^ {4}'([^']+)'\?:/gm)].map((m) => m[1]!));
}

function modelSchema(dir: string, model: string, attributes: Attribute[], models: Record<string, unknown>, ref: (model: string) => JsonObject): JsonObject {
  const optional = optionalAttributes(dir, model);
  const properties: JsonObject = {};
  for (const { baseName, type, format } of attributes) properties[baseName] = typeSchema(type, format, models, ref);
  const required = attributes.filter((a) => !optional.has(a.name)).map((a) => a.baseName);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

/** A serializer type (`Array<Filter>`, `{ [key: string]: string | null; }`, `Date`…) as an OpenAPI 3.0 schema. */
function typeSchema(type: string, format: string, models: Record<string, unknown>, ref: (model: string) => JsonObject): JsonObject {
  const t = type.trim();
  if (t.endsWith(' | null')) return { ...typeSchema(t.slice(0, -' | null'.length), format, models, ref), nullable: true };
  const array = /^Array<(.+)>$/.exec(t);
  if (array) return { type: 'array', items: typeSchema(array[1]!, '', models, ref) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1]!, '', models, ref) };
  switch (t) {
    case 'string':
      return format ? { type: 'string', format } : { type: 'string' };
    case 'number':
      return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return { type: 'string', format: format || 'date-time' };
    case 'any':
      return {};
  }
  if (t in models || t === 'Error') return ref(t);
  throw new Error(`unknown serializer type ${type}`);
}

type Operation = [template: string, method: string, operation: JsonObject];

/** The operations of one generated `<Name>Api.js`: its request factory and its response processor, method by method. */
function operationsOf(source: string, models: Record<string, unknown>, ref: (model: string) => JsonObject): Operation[] {
  const factoryStart = source.indexOf('RequestFactory extends');
  const processorStart = source.indexOf('ResponseProcessor {');
  if (factoryStart < 0 || processorStart < 0) throw new Error('not a generated API module');
  const factory = source.slice(factoryStart, processorStart);
  const processor = source.slice(processorStart);
  const heads = [...factory.matchAll(/^ {4}(\w+)\((.*)\) \{$/gm)];
  return heads.map((head, i) => {
    const body = factory.slice(head.index, heads[i + 1]?.index ?? factory.length);
    const name = head[1]!;
    const required = new Set([...body.matchAll(/RequiredError\("\w+", "\w+", "(\w+)"\)/g)].map((m) => m[1]!));
    const template = /const localVarPath = '([^']+)'/.exec(body)?.[1];
    const method = /HttpMethod\.(\w+)/.exec(body)?.[1]?.toLowerCase();
    if (!template || !method) throw new Error(`${name}: no path or method`);
    const parameters: Json[] = [...template.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' } }));
    for (const m of body.matchAll(/setQueryParam\("([^"]+)", ObjectSerializer_1\.ObjectSerializer\.serialize\((\w+), "([^"]+)", "([^"]*)"\)\)/g)) {
      parameters.push({ name: m[1]!, in: 'query', required: required.has(m[2]!), schema: typeSchema(m[3]!, m[4]!, models, ref) });
    }
    for (const m of body.matchAll(/ObjectSerializer\.serialize\((\w+), "([^"]+)", "([^"]*)"\);\s*for \(const serializedParam of serializedParams\) \{\s*requestContext\.appendQueryParam\("([^"]+)"/g)) {
      parameters.push({ name: m[4]!, in: 'query', required: required.has(m[1]!), explode: true, schema: typeSchema(m[2]!, m[3]!, models, ref) });
    }
    const operation: JsonObject = { operationId: name, parameters, responses: responsesOf(processor, name, ref) };
    const json = /ObjectSerializer\.serialize\((\w+), "(\w+)", ""\), contentType\)/.exec(body);
    if (json) operation.requestBody = { required: required.has(json[1]!), content: { 'application/json': { schema: ref(json[2]!) } } };
    const form = [...body.matchAll(/localVarFormParams\.append\('([^']+)', (\w+)\)/g)];
    if (form.length > 0) {
      const properties = Object.fromEntries(form.map((m) => [m[1]!, { type: 'string' }]));
      const formRequired = form.filter((m) => required.has(m[2]!)).map((m) => m[1]!);
      operation.requestBody = { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties, ...(formRequired.length > 0 ? { required: formRequired } : {}), additionalProperties: false } } } };
    }
    return [template, method, operation];
  });
}

/** `isCodeInRange("200", …)` → the model deserialized for it; "0" is every other status (`default`). */
function responsesOf(processor: string, name: string, ref: (model: string) => JsonObject): JsonObject {
  const start = processor.indexOf(`    ${name}WithHttpInfo(response) {`);
  if (start < 0) throw new Error(`${name}: no response processor`);
  const end = processor.indexOf('\n    }\n', start);
  const body = processor.slice(start, end);
  const responses: JsonObject = {};
  for (const m of body.matchAll(/isCodeInRange\)\("(\d+)", response\.httpStatusCode\)\) \{\s*(?:const body = [^\n]*?"([^"]+)", ""\);)?/g)) {
    const status = m[1] === '0' ? 'default' : m[1]!;
    const model = m[2];
    responses[status] = model && model !== 'void' ? { description: status, content: { 'application/json': { schema: ref(model) } } } : { description: status };
  }
  return responses;
}
