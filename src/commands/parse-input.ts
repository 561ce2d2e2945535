import type { z } from 'zod';
import { ValidationError, type ErrorDetail } from '../errors.ts';
import { UNSTORABLE } from '../storable-text.ts';

/** Input validation shared by REST and GraphQL: commands parse what either layer hands them. */

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Deeper input is refused outright: nothing Syncline stores nests this far. */
const MAX_DEPTH = 64;

/** Strings PostgreSQL cannot store, and nesting too deep, as error details (iterative: no stack overflow). */
function unstorableStrings(value: unknown): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (pending.length > 0 && problems.length < 20) {
    const { value: item, path } = pending.pop()!;
    if (path.length > MAX_DEPTH) return [{ path: path.slice(0, 3).join('.'), message: `nested deeper than ${MAX_DEPTH} levels` }];
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) problems.push({ path: path.join('.'), message: 'contains U+0000 or an unpaired surrogate, which cannot be stored' });
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => pending.push({ value: child, path: [...path, String(i)] }));
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (UNSTORABLE.test(key)) problems.push({ path: [...path, key].join('.'), message: 'key contains U+0000 or an unpaired surrogate' });
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
  return problems;
}

/** Refuses what PostgreSQL cannot store (400 `validation_failed`), before any schema looks at it. */
export function assertStorable(value: unknown, what = 'request body'): void {
  const unstorable = unstorableStrings(value);
  if (unstorable.length > 0) throw new ValidationError(`invalid ${what}`, unstorable);
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  assertStorable(value, what);
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ValidationError(`invalid ${what}`, zodDetails(result.error));
  return result.data;
}
