import { readFileSync } from 'node:fs';

/*
 * An OpenAPI 3.0 description loaded once per file and turned into what ajv (draft-07) reads:
 * OpenAPI 3.0's schema dialect differs from JSON Schema in a few keywords, rewritten here.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ApiDocument {
  /** The converted document (ajv registers it whole; validators are compiled from pointers into it). */
  root: JsonObject;
  /** The servers' base path without a trailing slash ('' for `https://api.stripe.com/`, '/rest' for a server at …/rest). */
  basePath: string;
  /** Every `format` name the document uses (unknown ones are accepted as they are). */
  formats: Set<string>;
}

/** Operations and schemas a published description lacks, added from the provider's current reference (see ApiDescription.supplement). */
export interface DescriptionSupplement {
  paths?: JsonObject;
  schemas?: JsonObject;
}

const loaded = new Map<string, ApiDocument>();

export function loadApiDocument(file: string, supplement?: DescriptionSupplement): ApiDocument {
  const key = supplement ? `${file} ${JSON.stringify(supplement)}` : file;
  let document = loaded.get(key);
  if (!document) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
    if (typeof raw.openapi !== 'string' || !raw.openapi.startsWith('3.0')) throw new Error(`${file}: not an OpenAPI 3.0 description`);
    if (supplement) supplementDocument(raw, supplement);
    const formats = new Set<string>();
    document = { root: toJsonSchemaDialect(raw, formats) as JsonObject, basePath: basePathOf(raw), formats };
    loaded.set(key, document);
  }
  return document;
}

function supplementDocument(raw: JsonObject, supplement: DescriptionSupplement): void {
  const paths = isObject(raw.paths) ? raw.paths : (raw.paths = {});
  for (const [path, item] of Object.entries(supplement.paths ?? {})) {
    if (path in paths) throw new Error(`the description already has ${path}: drop it from the supplement`);
    paths[path] = item;
  }
  const components = isObject(raw.components) ? raw.components : (raw.components = {});
  const schemas = isObject(components.schemas) ? components.schemas : (components.schemas = {});
  for (const [name, schema] of Object.entries(supplement.schemas ?? {})) {
    if (name in schemas) throw new Error(`the description already has the schema ${name}: drop it from the supplement`);
    schemas[name] = schema;
  }
}

function basePathOf(raw: JsonObject): string {
  const servers = raw.servers;
  const url = Array.isArray(servers) && servers[0] && typeof servers[0] === 'object' && !Array.isArray(servers[0]) ? servers[0].url : undefined;
  if (typeof url !== 'string') return '';
  return new URL(url, 'https://server.invalid').pathname.replace(/\/+$/, '');
}

const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * OpenAPI 3.0 → JSON Schema draft-07, wherever a schema can be (the walk is generic: these
 * keywords' values are booleans or strings, so a property that happens to be named like one is
 * left alone):
 * - `nullable: true` adds `null` to `type` (and to `enum`), or wraps a type-less schema in `anyOf`;
 * - `$ref` ignores its siblings (OpenAPI 3.0 says so; ajv would apply them);
 * - boolean `exclusiveMinimum` / `exclusiveMaximum` become draft-07's numbers;
 * - `discriminator` is dropped (it only names the property `oneOf` already decides by).
 */
function toJsonSchemaDialect(value: Json, formats: Set<string>): Json {
  if (Array.isArray(value)) return value.map((v) => toJsonSchemaDialect(v, formats));
  if (!isObject(value)) return value;
  if (typeof value.$ref === 'string') return { $ref: value.$ref };
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'nullable' && typeof child === 'boolean') continue;
    if (key === 'discriminator' && isObject(child) && typeof child.propertyName === 'string') continue;
    out[key] = toJsonSchemaDialect(child, formats);
  }
  if (typeof out.format === 'string') formats.add(out.format);
  for (const [bound, exclusive] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const) {
    if (typeof out[exclusive] !== 'boolean') continue;
    if (out[exclusive] === true && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else delete out[exclusive];
  }
  if (value.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  if (Array.isArray(out.type)) {
    if (!out.type.includes('null')) out.type = [...out.type, 'null'];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

/** A JSON pointer fragment to `segments` (for `$ref`s into the document). */
export const pointer = (...segments: string[]): string => '#' + segments.map((s) => '/' + encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('');

/** Follows a local `$ref` chain (`#/components/parameters/…`) to the object it names. */
export function resolveRef(root: JsonObject, value: Json | undefined): Json | undefined {
  let current = value;
  for (let hops = 0; hops < 20 && isObject(current) && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) return undefined;
    let target: Json | undefined = root;
    for (const raw of ref.slice(2).split('/')) {
      const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) ? target[segment] : Array.isArray(target) ? target[Number(segment)] : undefined;
    }
    current = target;
  }
  return current;
}

export { isObject };
