import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { zodDetails } from '../http/rest.ts';
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
    if (original instanceof AppError) {
      return new GraphQLError(original.message, {
        path,
        extensions: { code: original.code, status: original.status, details: original.details },
      });
    }
    if (original instanceof z.ZodError) {
      return new GraphQLError('invalid input', { path, extensions: { code: 'validation_failed', status: 400, details: zodDetails(original) } });
    }
    // Errors graphql itself raised (syntax, validation, bad variables) are safe to show as they are.
    if (wrapper && !wrapper.originalError) return wrapper;
    logger.error({ err: original }, 'unhandled GraphQL error');
    return new GraphQLError(message, { path, extensions: { code: 'internal' } });
  };
}
