/** GitHub's REST error bodies: `{"message", "documentation_url", "status"}` (+ `errors` for 422). */

import { EmulatorError, type EmulatorAnswer } from '../kit/http-emulator.ts';

export const DOCS = 'https://docs.github.com/rest';
export const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
export const SECONDARY_RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';

export interface FieldError {
  resource: string;
  field: string;
  code: 'missing' | 'missing_field' | 'invalid' | 'already_exists' | 'unprocessable' | 'custom';
  message?: string;
}

export function errorAnswer(status: number, message: string, options: { documentationUrl?: string; errors?: FieldError[]; headers?: Record<string, string> } = {}): EmulatorAnswer {
  return {
    status,
    body: {
      message,
      ...(options.errors ? { errors: options.errors } : {}),
      documentation_url: options.documentationUrl ?? DOCS,
      status: String(status),
    },
    ...(options.headers ? { headers: options.headers } : {}),
  };
}

export const fail = (status: number, message: string, options?: Parameters<typeof errorAnswer>[2]): EmulatorError => new EmulatorError(errorAnswer(status, message, options));

export const notFound = (): EmulatorError => fail(404, 'Not Found');

export const validationFailed = (errors: FieldError[], message = 'Validation Failed'): EmulatorError => fail(422, message, { errors });
