import { AppError } from '../../src/errors.ts';

/**
 * A `thenThrows` check for the error an API caller sees: its HTTP status and machine-readable code
 * (src/http/error-response.ts and src/schema/errors.ts pass both through unchanged).
 */
export const refused =
  (status: number, code: string) =>
  (error: Error): boolean =>
    error instanceof AppError && error.status === status && error.code === code;
