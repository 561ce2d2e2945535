/** Typed, validated access to decoded form parameters, with Stripe's error for each misuse. */

import { errors } from './errors.ts';
import type { FormObject, FormValue } from './form.ts';
import type { JsonObject } from './json.ts';
import type { Metadata } from './objects.ts';

export interface MetadataPatch {
  /** `metadata=` (empty) clears every key before `set` applies. */
  clear: boolean;
  set: Record<string, string>;
  unset: string[];
}

export class Params {
  constructor(
    readonly form: FormObject,
    private readonly prefix = '',
  ) {}

  /** Name of a parameter as Stripe reports it: `address[city]`. */
  name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  keys(): string[] {
    return Object.keys(this.form);
  }

  /** Reject the first parameter that is not in `allowed` with `parameter_unknown`. */
  allow(allowed: readonly string[]): this {
    for (const key of Object.keys(this.form)) {
      if (!allowed.includes(key)) throw errors.parameterUnknown(this.name(key));
    }
    return this;
  }

  has(key: string): boolean {
    return key in this.form;
  }

  raw(key: string): FormValue | undefined {
    return this.form[key];
  }

  /** A string; `undefined` when absent. An empty string is rejected unless `emptyable` (then null). */
  string(key: string, options: { required?: boolean; emptyable?: boolean; maxLength?: number } = {}): string | null | undefined {
    const value = this.form[key];
    if (value === undefined) {
      if (options.required) throw errors.parameterMissing(this.name(key));
      return undefined;
    }
    if (typeof value !== 'string') throw errors.invalidString(this.name(key));
    if (value === '') {
      if (options.emptyable) return null;
      throw errors.emptyString(this.name(key));
    }
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      throw errors.invalidRequest(
        `Invalid string: ${value.slice(0, 20)}...; must be at most ${options.maxLength} characters`,
        this.name(key),
      );
    }
    return value;
  }

  requiredString(key: string, maxLength?: number): string {
    const value = this.string(key, { required: true, maxLength });
    if (value === null || value === undefined) throw errors.parameterMissing(this.name(key));
    return value;
  }

  /** Optional string where '' unsets (null). */
  nullableString(key: string, maxLength?: number): string | null | undefined {
    return this.string(key, { emptyable: true, maxLength });
  }

  int(key: string, options: { required?: boolean; min?: number; max?: number; emptyable?: boolean } = {}): number | null | undefined {
    const value = this.form[key];
    if (value === undefined) {
      if (options.required) throw errors.parameterMissing(this.name(key));
      return undefined;
    }
    if (typeof value !== 'string') throw errors.invalidInteger(this.name(key), '[object]');
    if (value === '' && options.emptyable) return null;
    if (!/^-?\d+$/.test(value.trim())) throw errors.invalidInteger(this.name(key), value);
    const n = Number(value.trim());
    if (!Number.isSafeInteger(n)) throw errors.invalidInteger(this.name(key), value);
    if (options.min !== undefined && n < options.min) {
      throw errors.integerOutOfRange(this.name(key), `This value must be greater than or equal to ${options.min}.`);
    }
    if (options.max !== undefined && n > options.max) {
      throw errors.integerOutOfRange(this.name(key), `This value must be less than or equal to ${options.max}.`);
    }
    return n;
  }

  requiredInt(key: string, options: { min?: number; max?: number } = {}): number {
    const value = this.int(key, { ...options, required: true });
    if (value === null || value === undefined) throw errors.parameterMissing(this.name(key));
    return value;
  }

  bool(key: string): boolean | undefined {
    const value = this.form[key];
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw errors.invalidBoolean(this.name(key), typeof value === 'string' ? value : '[object]');
  }

  enum<T extends string>(key: string, allowed: readonly T[], options: { emptyable?: boolean } = {}): T | null | undefined {
    const value = this.form[key];
    if (value === undefined) return undefined;
    if (value === '' && options.emptyable) return null;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw errors.invalidEnum(this.name(key), typeof value === 'string' ? value : '', allowed);
    }
    return value as T;
  }

  /** A nested hash (`address[city]=…`); null when sent as '' (unset); undefined when absent. */
  object(key: string): Params | null | undefined {
    const value = this.form[key];
    if (value === undefined) return undefined;
    if (value === '') return null;
    if (typeof value === 'string') throw errors.invalidHash(this.name(key));
    return new Params(value, this.name(key));
  }

  /** An array parameter (`a[]=x`, `a[0]=x`); '' means an empty array. */
  array(key: string): FormValue[] | undefined {
    const value = this.form[key];
    if (value === undefined) return undefined;
    return asArray(value, this.name(key));
  }

  stringArray(key: string, options: { max?: number } = {}): string[] | undefined {
    const items = this.array(key);
    if (items === undefined) return undefined;
    if (options.max !== undefined && items.length > options.max) {
      throw errors.invalidRequest(`Invalid array: must have at most ${options.max} elements`, this.name(key));
    }
    return items.map((item, i) => {
      if (typeof item !== 'string') throw errors.invalidString(`${this.name(key)}[${i}]`);
      return item;
    });
  }

  /** Array of hashes (`items[0][price]=…`), each as Params named `items[0]`. */
  objectArray(key: string): Params[] | undefined {
    const items = this.array(key);
    if (items === undefined) return undefined;
    return items.map((item, i) => {
      if (typeof item === 'string') throw errors.invalidHash(`${this.name(key)}[${i}]`);
      return new Params(item, `${this.name(key)}[${i}]`);
    });
  }

  metadata(key = 'metadata'): MetadataPatch | undefined {
    const value = this.form[key];
    if (value === undefined) return undefined;
    if (value === '') return { clear: true, set: {}, unset: [] };
    if (typeof value === 'string') throw errors.invalidHash(this.name(key));
    const patch: MetadataPatch = { clear: false, set: {}, unset: [] };
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw errors.invalidString(`${this.name(key)}[${k}]`);
      if (k.length > 40) {
        throw errors.invalidRequest(`Metadata keys can have up to 40 characters. The key \`${k}\` is too long.`, `${this.name(key)}[${k}]`);
      }
      if (v.length > 500) {
        throw errors.invalidRequest(`Metadata values can have up to 500 characters, but you passed in a value that is ${v.length} characters. Invalid value: ${v.slice(0, 20)}...`, `${this.name(key)}[${k}]`);
      }
      if (v === '') patch.unset.push(k);
      else patch.set[k] = v;
    }
    return patch;
  }
}

/** Form arrays arrive as index-keyed objects (`{ "0": …, "1": … }`); order them by index. */
export function asArray(value: FormValue, name: string): FormValue[] {
  if (value === '') return [];
  if (typeof value === 'string') throw errors.invalidArray(name);
  const keys = Object.keys(value);
  if (!keys.every((k) => /^\d+$/.test(k))) throw errors.invalidArray(name);
  return keys
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => value[String(k)] as FormValue);
}

/** The metadata an object holds, for applyMetadata. */
export function metadataOf(value: JsonObject): Metadata {
  return (value['metadata'] ?? {}) as Metadata;
}

/** Apply a metadata patch to an existing metadata hash; enforces Stripe's 50-key limit. */
export function applyMetadata(current: Record<string, string>, patch: MetadataPatch, param = 'metadata'): Record<string, string> {
  const next: Record<string, string> = patch.clear ? {} : { ...current };
  for (const key of patch.unset) delete next[key];
  Object.assign(next, patch.set);
  if (Object.keys(next).length > 50) {
    throw errors.invalidRequest('You can only specify up to 50 metadata keys.', param);
  }
  return next;
}
