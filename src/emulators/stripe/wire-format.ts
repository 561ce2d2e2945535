/**
 * Stripe's half of the emulator transport (the kit's HttpEmulator does the rest): API-key auth,
 * form-encoded parameters, idempotency keys, Stripe's error bodies and response headers.
 */

import { EmulatorError, type EmulatorAnswer, type EmulatorRequest, type EmulatorWireFormat } from '../kit/http-emulator.ts';
import type { StripeApi } from './api.ts';
import { errors, StripeApiError } from './errors.ts';
import { decodeForm, type FormObject } from './form.ts';
import { canonicalJson } from './json.ts';
import { API_VERSION } from './objects.ts';
import { requestId as newRequestId } from './random.ts';

interface StoredResponse {
  storedAt: number;
  fingerprint: string;
  status: number;
  body: string;
  requestId: string;
}

/** Stripe keeps idempotency keys for at least 24 hours. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const MAX_IDEMPOTENCY_KEYS = 100_000;

const errorAnswer = (error: StripeApiError, extra: Record<string, string> = {}): EmulatorAnswer => ({
  status: error.status,
  body: JSON.stringify(error.toBody()),
  headers: { ...error.headers, ...extra },
});

export class StripeWireFormat implements EmulatorWireFormat {
  readonly name = 'stripe';
  /** Idempotency keys, scoped by API key as Stripe scopes them by account. */
  private readonly idempotency = new Map<string, StoredResponse>();

  constructor(
    private readonly api: StripeApi,
    private readonly settings: { apiKey: string },
  ) {}

  answerHeaders(request: EmulatorRequest): Record<string, string> {
    return { 'Content-Type': 'application/json', 'Request-Id': newRequestId(), 'Stripe-Version': request.header('stripe-version') ?? API_VERSION };
  }

  /** `Authorization: Bearer <key>` or HTTP Basic with the key as user name. */
  authenticate(request: EmulatorRequest): void {
    const header = request.header('authorization');
    if (!header || header.trim() === '') throw new EmulatorError(errorAnswer(errors.missingApiKey()));
    const [scheme = '', ...rest] = header.trim().split(/\s+/);
    const credentials = rest.join(' ');
    let key: string;
    if (scheme.toLowerCase() === 'bearer') {
      key = credentials;
    } else if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      key = colon === -1 ? decoded : decoded.slice(0, colon);
    } else {
      key = header.trim();
    }
    if (key === '') throw new EmulatorError(errorAnswer(errors.missingApiKey()));
    if (key !== this.settings.apiKey) throw new EmulatorError(errorAnswer(errors.invalidApiKey(key)));
  }

  rateLimited(): EmulatorAnswer {
    return errorAnswer(errors.rateLimited());
  }

  internalError(): EmulatorAnswer {
    return errorAnswer(errors.internal());
  }

  handle(request: EmulatorRequest): EmulatorAnswer {
    const requestId = newRequestId();
    const withId = (answer: EmulatorAnswer): EmulatorAnswer => ({ ...answer, headers: { ...answer.headers, 'Request-Id': requestId } });
    try {
      const { method, path } = request;
      const params: FormObject = decodeForm(request.rawQuery);
      if (method === 'POST' && request.body.length > 0) Object.assign(params, decodeForm(request.body));

      const idempotencyKey = method === 'POST' ? request.header('idempotency-key') : undefined;
      if (idempotencyKey === undefined) {
        const result = this.api.handle({ method, path, params, ctx: { requestId, idempotencyKey: null } });
        return withId({ status: result.status, body: JSON.stringify(result.body) });
      }
      const keyHeader = { 'Idempotency-Key': idempotencyKey };
      const scoped = `${this.settings.apiKey}\u0000${idempotencyKey}`;
      const fingerprint = `${method} ${path} ${canonicalJson(params)}`;
      const stored = this.recall(scoped);
      if (stored) {
        if (stored.fingerprint !== fingerprint) return withId(errorAnswer(errors.idempotencyMismatch(idempotencyKey), keyHeader));
        return withId({ status: stored.status, body: stored.body, headers: { ...keyHeader, 'Idempotent-Replayed': 'true', 'Original-Request': stored.requestId } });
      }
      try {
        const result = this.api.handle({ method, path, params, ctx: { requestId, idempotencyKey } });
        const text = JSON.stringify(result.body);
        this.remember(scoped, { storedAt: Date.now(), fingerprint, status: result.status, body: text, requestId });
        return withId({ status: result.status, body: text, headers: keyHeader });
      } catch (error) {
        // Stripe saves the result once the endpoint began executing; validation failures are not saved.
        if (error instanceof StripeApiError && error.storeForIdempotency) {
          this.remember(scoped, { storedAt: Date.now(), fingerprint, status: error.status, body: JSON.stringify(error.toBody()), requestId });
        }
        if (error instanceof StripeApiError) return withId(errorAnswer(error, keyHeader));
        throw error;
      }
    } catch (error) {
      if (error instanceof StripeApiError) return withId(errorAnswer(error));
      throw error;
    }
  }

  private recall(key: string): StoredResponse | undefined {
    const stored = this.idempotency.get(key);
    if (stored && Date.now() - stored.storedAt > IDEMPOTENCY_TTL_MS) {
      this.idempotency.delete(key);
      return undefined;
    }
    return stored;
  }

  private remember(key: string, response: StoredResponse): void {
    this.idempotency.set(key, response);
    // Oldest first (Map keeps insertion order): bound memory in long runs.
    while (this.idempotency.size > MAX_IDEMPOTENCY_KEYS) {
      const oldest = this.idempotency.keys().next().value;
      if (oldest === undefined) break;
      this.idempotency.delete(oldest);
    }
  }
}
