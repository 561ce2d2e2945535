import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { AppError, TooManyRequestsError } from '../errors.ts';
import { zodDetails } from '../commands/parse-input.ts';
import type { Logger } from '../logger.ts';

type GraphQLErrorLike = Error & { originalError?: unknown; path?: readonly (string | number)[]; extensions?: unknown };

/** graphql's CJS and ESM builds each have their own GraphQLError class, so look at the shape. */
const isGraphQLErrorLike = (error: unknown): error is GraphQLErrorLike => error instanceof Error && 'extensions' in error;

/** The one place errors become GraphQL errors: app errors keep code and details; others are masked. */
export function createMaskError(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const wrapper = isGraphQLErrorLike(error) ? error : null;
    const original = wrapper?.originalError ?? error;
    const path = wrapper?.path;
    if (original instanceof TooManyRequestsError) {
      // Refused before execution: the HTTP answer itself is a 429 with Retry-After (yoga reads `http`).
      const http = { status: 429, headers: { 'Retry-After': String(original.retryAfterSeconds) } };
      return new GraphQLError(original.message, { path, extensions: { code: original.code, status: 429, details: [], http } });
    }
    if (original instanceof AppError) {
      return new GraphQLError(original.message, {
        path,
        extensions: { code: original.code, status: original.status, details: original.details },
      });
    }
    if (original instanceof z.ZodError) {
      return new GraphQLError('invalid input', { path, extensions: { code: 'validation_failed', status: 400, details: zodDetails(original) } });
    }
    // Errors graphql itself raised (syntax, validation) are safe to show as they are.
    if (wrapper && !wrapper.originalError) return wrapper;
    // Variables graphql could not coerce (`"x"` for an Int, null for a non-null…): raised before
    // execution (no path), or by a scalar, with graphql's own message.
    if (wrapper && (!path || isGraphQLErrorLike(original))) {
      return new GraphQLError(wrapper.message, { path, extensions: { code: 'validation_failed', status: 400, details: [] } });
    }
    const known = knownInputError(original);
    if (known) return new GraphQLError(known.message, { path, extensions: { code: known.code, status: known.status, details: [] } });
    logger.error({ err: original }, 'unhandled GraphQL error');
    return new GraphQLError(message, { path, extensions: { code: 'internal' } });
  };
}

/**
 * Errors libraries raise for bad input rather than failures: Pothos' relay plugin for connection
 * arguments and global ids, Prisma for a record a node id names but that does not exist.
 */
function knownInputError(error: unknown): { code: string; status: number; message: string } | null {
  if (!(error instanceof Error)) return null;
  if (/Invalid global ID|No record was found|Expected a record/.test(error.message) || (error as { code?: unknown }).code === 'P2025') {
    return { code: 'not_found', status: 404, message: 'no node with this id' };
  }
  if (/are not supported at the same time|must be a non-negative integer|Invalid cursor/.test(error.message)) {
    return { code: 'validation_failed', status: 400, message: error.message };
  }
  return null;
}
