import type { z } from 'zod';

/*
 * Compile-time checks that a presenter answers what its response schema declares: its return type
 * must be assignable to the schema's output, and name no key the schema lacks (at any depth), so a
 * field added to, removed from or retyped in either one fails `tsc` until the other follows.
 */

/** The keys `P` has and `S` lacks, as paths (`.nats.token`); never when there are none. Free-form JSON (`unknown`) is not looked into. */
type UndeclaredKeys<P, S, At extends string = ''> = unknown extends S
  ? never
  : unknown extends P
    ? never
    : NonNullable<P> extends readonly (infer PItem)[]
      ? NonNullable<S> extends readonly (infer SItem)[]
        ? UndeclaredKeys<PItem, SItem, `${At}[]`>
        : never
      : NonNullable<P> extends object
        ? NonNullable<S> extends object
          ? {
              [K in keyof NonNullable<P> & string]: K extends keyof NonNullable<S>
                ? UndeclaredKeys<NonNullable<P>[K], NonNullable<S>[K], `${At}.${K}`>
                : `${At}.${K}`;
            }[keyof NonNullable<P> & string]
          : never
        : never;

/** `true` when values of type `P` are what `S` declares; otherwise what is wrong, shown by `tsc` where it is checked. */
export type Presents<S extends z.ZodType, P> = [P] extends [z.output<S>]
  ? [UndeclaredKeys<P, z.output<S>>] extends [never]
    ? true
    : { undeclaredKeys: UndeclaredKeys<P, z.output<S>> }
  : { notAssignable: P; declared: z.output<S> };

/** Fails to compile unless every check is `true`. */
export type AllHold<T extends readonly true[]> = T;
