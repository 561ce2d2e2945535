import { z } from 'zod';
import { AppError, TooManyRequestsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { zodDetails } from '../commands/parse-input.ts';

export interface ErrorBody {
  error: { code: string; message: string; details: unknown[] };
}

/** The one place errors become HTTP answers: app errors keep their status, the rest is a logged 500. */
export function toErrorResponse(error: unknown, logger: Logger): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (error instanceof TooManyRequestsError) {
    return { status: 429, body: { error: { code: error.code, message: error.message, details: [] } }, headers: { 'retry-after': String(error.retryAfterSeconds) } };
  }
  if (error instanceof AppError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message, details: error.details } } };
  }
  if (error instanceof z.ZodError) {
    return { status: 400, body: { error: { code: 'validation_failed', message: 'invalid input', details: zodDetails(error) } } };
  }
  logger.error({ err: error }, 'unhandled error');
  return { status: 500, body: { error: { code: 'internal', message: 'internal error', details: [] } } };
}
