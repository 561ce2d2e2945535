/** HubSpot's error answers: `{status: "error", message, correlationId, category}`. */

import { randomUUID } from 'node:crypto';
import { EmulatorError, type EmulatorAnswer } from '../kit/http-emulator.ts';

export type ErrorCategory = 'VALIDATION_ERROR' | 'OBJECT_NOT_FOUND' | 'INVALID_AUTHENTICATION' | 'EXPIRED_AUTHENTICATION' | 'CONFLICT' | 'MISSING_SCOPES' | 'INTERNAL_ERROR';

export function errorAnswer(status: number, category: ErrorCategory, message: string, extra: Record<string, unknown> = {}): EmulatorAnswer {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

export function hubspotError(status: number, category: ErrorCategory, message: string, extra: Record<string, unknown> = {}): EmulatorError {
  return new EmulatorError(errorAnswer(status, category, message, extra));
}

export const validationError = (message: string, extra: Record<string, unknown> = {}): EmulatorError => hubspotError(400, 'VALIDATION_ERROR', message, extra);

export const notFound = (id: string): EmulatorError => hubspotError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', { context: { id: [id] } });

/** 404 for a path HubSpot does not serve. */
export const unknownPath = (method: string, path: string): EmulatorError =>
  new EmulatorError({ status: 404, body: { status: 'error', message: `Unable to infer object type from: ${method} ${path}`, correlationId: randomUUID() } });
