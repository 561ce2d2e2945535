import type { EmulatorAnswer } from '../kit/http-emulator.ts';

/** Salesforce's REST error answer: an array of `{message, errorCode, fields?}`. */
export function sfError(status: number, errorCode: string, message: string, fields?: string[]): EmulatorAnswer {
  return { status, body: [{ message, errorCode, ...(fields ? { fields } : {}) }] };
}

/** The OAuth endpoints' error answer. */
export function oauthError(status: number, error: string, description: string): EmulatorAnswer {
  return { status, body: { error, error_description: description } };
}
