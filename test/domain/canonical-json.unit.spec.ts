import fc from 'fast-check';
import { stringify as safeStableStringify } from 'safe-stable-stringify';
import { describe, expect, it } from 'vitest';
import { canonicalJson, dataTexts } from '../../src/domain/records/canonical-json.ts';

// Stored records carry the hash of this text: it must stay the text safe-stable-stringify wrote.
const library = (value: unknown) => safeStableStringify(value) ?? 'null';

describe('canonicalJson', () => {
  it('writes what safe-stable-stringify writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(library(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes what safe-stable-stringify writes for objects of one shape in other key orders, odd keys and strings', () => {
    const text = fc.string({ unit: 'binary' });
    const shaped = fc.uniqueArray(text, { maxLength: 12 }).chain((keys) =>
      fc.array(fc.tuple(fc.shuffledSubarray(keys, { minLength: keys.length }), fc.array(fc.oneof(text, fc.integer(), fc.constant(undefined)), { minLength: keys.length, maxLength: keys.length }))),
    );
    fc.assert(
      fc.property(shaped, (objects) => {
        for (const [keys, values] of objects) {
          const object = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
          expect(canonicalJson(object)).toBe(library(object));
          expect(canonicalJson([object, { nested: object }])).toBe(library([object, { nested: object }]));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('sorts keys by UTF-16 code units, skips undefined members and writes toJSON values', () => {
    const value = { b: 1, a: undefined, 'é': [undefined, () => 1], '\ud83d\ude00': 'x', Z: new Date(0), n: NaN, big: 10n, nested: { toJSON: () => ({ y: 2, x: 1 }) } };
    expect(canonicalJson(value)).toBe(library(value));
    expect(canonicalJson(value)).toBe('{"Z":"1970-01-01T00:00:00.000Z","b":1,"big":10,"n":null,"nested":{"x":1,"y":2},"é":[null,null],"😀":"x"}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('writes the same value with every object\'s keys in jsonb\'s order: shorter first, then by UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const { canonical, jsonb } = dataTexts(value);
        expect(canonical).toBe(library(value));
        expect(JSON.parse(jsonb)).toEqual(JSON.parse(canonical));
      }),
      { numRuns: 2000 },
    );
    // '\uffff' is 3 UTF-8 bytes, '😀' 4 (but 2 UTF-16 units, sorted before '\uffff' by code units).
    const value = { bb: 1, a: { zz: [{ y: 1, x: 2 }], c: true }, ccc: null, b: 'x', '\uffff': 2, '😀': 3, é: 4 };
    expect(dataTexts(value).jsonb).toBe('{"a":{"c":true,"zz":[{"x":2,"y":1}]},"b":"x","bb":1,"é":4,"ccc":null,"\uffff":2,"😀":3}');
    expect(dataTexts(value).canonical).toBe('{"a":{"c":true,"zz":[{"x":2,"y":1}]},"b":"x","bb":1,"ccc":null,"é":4,"😀":3,"\uffff":2}');
  });

  it('falls back to the library for values deeper than any provider object, and for cycles', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 500; i++) deep = { d: deep };
    expect(canonicalJson(deep)).toBe(library(deep));
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(canonicalJson(cyclic)).toBe(library(cyclic));
  });
});
