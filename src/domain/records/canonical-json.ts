import { stringify as safeStableStringify } from 'safe-stable-stringify';

/** Two JSON texts of one value, made in one walk of it. */
export interface DataTexts {
  /**
   * Every object's keys sorted by UTF-16 code units: what a record's data is hashed by. It is the
   * very text `safe-stable-stringify` writes (hashes stored by earlier versions still match; a
   * property test holds them equal).
   */
  canonical: string;
  /**
   * The same value with every object's keys in jsonb's order (shorter first, then by UTF-8
   * bytes): what is sent to PostgreSQL, whose jsonb input sorts each object's keys into that
   * order and skips the sort when they already are (faster to parse: docs/BENCHMARKS.md).
   */
  jsonb: string;
}

/**
 * Both texts of a record's data. Objects of one shape (the same keys in the same order, as every
 * object of a list page has) share their key orders and their keys' JSON instead of sorting and
 * escaping the keys of each object again; a value's members are written once for both texts.
 */
export function dataTexts(value: unknown): DataTexts {
  try {
    const text = write(value, '', 0) ?? 'null';
    return typeof text === 'string' ? { canonical: text, jsonb: text } : { canonical: text[0], jsonb: text[1] };
  } catch (error) {
    if (error !== TOO_DEEP) throw error;
    // Deeper than any provider object (or circular): the library's own walk, which marks cycles.
    const text = safeStableStringify(value) ?? 'null';
    return { canonical: text, jsonb: text };
  }
}

export function canonicalJson(value: unknown): string {
  return dataTexts(value).canonical;
}

/** A value's text, the same in both orders (no object inside), or its canonical and jsonb texts. */
type Text = string | readonly [canonical: string, jsonb: string];

const MAX_DEPTH = 200;
const TOO_DEEP = new Error('dataTexts: too deep');

/** One object shape: its keys as listed, each one's JSON with its colon, and both orders of them (indexes). */
interface Shape {
  keys: readonly string[];
  keyJson: readonly string[];
  canonicalOrder: readonly number[];
  jsonbOrder: readonly number[];
  /** Both orders are one: the texts are equal. */
  sameOrder: boolean;
}

// A few shapes per key count, objects of at most MAX_SHAPE_KEYS keys: bounded, whatever the data.
const SHAPES_PER_KEY_COUNT = 8;
const MAX_SHAPE_KEYS = 64;
const shapes = new Map<number, Shape[]>();

function shapeOf(keys: string[]): Shape {
  let known = shapes.get(keys.length);
  if (known) {
    next: for (const shape of known) {
      for (let i = 0; i < keys.length; i++) if (shape.keys[i] !== keys[i]) continue next;
      return shape;
    }
  }
  const indexes = keys.map((_, i) => i);
  // UTF-16 code units, as the library's insertion sort compares them.
  const canonicalOrder = [...indexes].sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const bytes = keys.map((k) => Buffer.from(k, 'utf8'));
  const jsonbOrder = [...indexes].sort((a, b) => bytes[a]!.length - bytes[b]!.length || Buffer.compare(bytes[a]!, bytes[b]!));
  const shape: Shape = {
    keys,
    keyJson: keys.map((k) => `${JSON.stringify(k)}:`),
    canonicalOrder,
    jsonbOrder,
    sameOrder: canonicalOrder.every((index, i) => jsonbOrder[i] === index),
  };
  if (keys.length <= MAX_SHAPE_KEYS) {
    if (!known) shapes.set(keys.length, (known = []));
    if (known.length < SHAPES_PER_KEY_COUNT) known.push(shape);
  }
  return shape;
}

// Characters JSON.stringify escapes (and lone surrogates, which it writes as \u escapes).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f\u0022\u005c\ud800-\udfff]/;

function writeString(text: string): string {
  return text.length < 5000 && !NEEDS_ESCAPE.test(text) ? `"${text}"` : JSON.stringify(text);
}

function write(value: unknown, key: string, depth: number): Text | undefined {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return String(value);
    case 'object':
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        const json: unknown = (value as { toJSON(key: string): unknown }).toJSON(key);
        // As the library: what toJSON returned is written without calling its own toJSON.
        if (typeof json !== 'object') return write(json, key, depth);
        if (json === null) return 'null';
        return writeComposite(json, depth);
      }
      return writeComposite(value, depth);
    default:
      return undefined;
  }
}

/** 0: the canonical text, 1: the jsonb text. */
type Which = 0 | 1;
const textOf = (text: Text, which: Which) => (typeof text === 'string' ? text : text[which]);

function writeComposite(value: object, depth: number): Text {
  if (depth >= MAX_DEPTH) throw TOO_DEEP;
  if (Array.isArray(value)) return writeArray(value, depth);
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  const shape = shapeOf(keys);
  const record = value as Record<string, unknown>;
  const members: (Text | undefined)[] = new Array(keys.length);
  let nested = false;
  for (let i = 0; i < keys.length; i++) {
    const text = write(record[keys[i]!], keys[i]!, depth + 1);
    members[i] = text;
    if (text !== undefined && typeof text !== 'string') nested = true;
  }
  const canonical = joinMembers(shape.canonicalOrder, shape.keyJson, members, 0);
  if (shape.sameOrder && !nested) return canonical;
  return [canonical, joinMembers(shape.jsonbOrder, shape.keyJson, members, 1)];
}

function joinMembers(order: readonly number[], keyJson: readonly string[], members: readonly (Text | undefined)[], which: Which): string {
  let out = '';
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const text = members[i];
    if (text === undefined) continue;
    out += (out === '' ? '{' : ',') + keyJson[i]! + textOf(text, which);
  }
  return out === '' ? '{}' : `${out}}`;
}

function joinItems(items: readonly Text[], which: Which): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + textOf(items[i]!, which);
  return `${out}]`;
}

function writeArray(value: readonly unknown[], depth: number): Text {
  if (value.length === 0) return '[]';
  const items: Text[] = new Array(value.length);
  let nested = false;
  for (let i = 0; i < value.length; i++) {
    const text = write(value[i], String(i), depth + 1) ?? 'null';
    items[i] = text;
    if (typeof text !== 'string') nested = true;
  }
  const canonical = joinItems(items, 0);
  return nested ? [canonical, joinItems(items, 1)] : canonical;
}
