/** Stripe API errors: `{ error: { type, code, message, param, doc_url } }` with the HTTP status Stripe uses. */

export type StripeErrorType =
  | 'invalid_request_error'
  | 'api_error'
  | 'idempotency_error'
  | 'card_error';

export interface StripeErrorInit {
  status: number;
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  /** Stripe stores the result of a request under its idempotency key once the endpoint began executing. */
  storeForIdempotency?: boolean;
  headers?: Record<string, string>;
}

export class StripeApiError extends Error {
  readonly status: number;
  readonly type: StripeErrorType;
  readonly code: string | undefined;
  readonly param: string | undefined;
  readonly storeForIdempotency: boolean;
  readonly headers: Record<string, string>;

  constructor(init: StripeErrorInit) {
    super(init.message);
    this.name = 'StripeApiError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.param = init.param;
    this.storeForIdempotency = init.storeForIdempotency ?? false;
    this.headers = init.headers ?? {};
  }

  toBody(): { error: Record<string, string> } {
    const error: Record<string, string> = {};
    if (this.code !== undefined) {
      error['code'] = this.code;
      error['doc_url'] = `https://stripe.com/docs/error-codes/${this.code.replace(/_/g, '-')}`;
    }
    error['message'] = this.message;
    if (this.param !== undefined) error['param'] = this.param;
    error['type'] = this.type;
    return { error };
  }
}

const invalid = (message: string, extra: Partial<StripeErrorInit> = {}): StripeApiError =>
  new StripeApiError({ status: 400, type: 'invalid_request_error', message, ...extra });

/** Human name Stripe uses in "No such …" messages. */
const RESOURCE_NAMES: Record<string, string> = {
  customer: 'customer',
  product: 'product',
  price: 'price',
  subscription: 'subscription',
  invoice: 'invoice',
  charge: 'charge',
  event: 'event',
  webhook_endpoint: 'webhook endpoint',
};

export const errors = {
  resourceMissing(objectName: string, id: string, param = 'id', status = 404): StripeApiError {
    return new StripeApiError({
      status,
      type: 'invalid_request_error',
      code: 'resource_missing',
      param,
      message: `No such ${RESOURCE_NAMES[objectName] ?? objectName}: '${id}'`,
      storeForIdempotency: true,
    });
  },
  parameterUnknown(param: string): StripeApiError {
    return invalid(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param });
  },
  parameterMissing(param: string): StripeApiError {
    return invalid(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
  },
  invalidInteger(param: string, value: string): StripeApiError {
    return invalid(`Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param });
  },
  integerOutOfRange(param: string, message: string): StripeApiError {
    return invalid(message, { code: 'parameter_invalid_integer', param });
  },
  invalidBoolean(param: string, value: string): StripeApiError {
    return invalid(`Invalid boolean: ${value}`, { param });
  },
  invalidString(param: string): StripeApiError {
    return invalid(`Invalid string: expected a string for ${param}`, { param });
  },
  invalidArray(param: string): StripeApiError {
    return invalid(`Invalid array`, { param });
  },
  invalidHash(param: string): StripeApiError {
    return invalid(`Invalid object`, { param });
  },
  invalidEnum(param: string, value: string, allowed: readonly string[]): StripeApiError {
    return invalid(`Invalid ${param}: must be one of ${allowed.join(', ')}`, { param, code: value === '' ? 'parameter_invalid_empty' : undefined });
  },
  emptyString(param: string): StripeApiError {
    return invalid(
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      { code: 'parameter_invalid_empty', param },
    );
  },
  exclusive(params: readonly string[]): StripeApiError {
    return invalid(`You may only specify one of these parameters: ${params.join(', ')}.`, { code: 'parameters_exclusive' });
  },
  invalidRequest(message: string, param?: string, code?: string, storeForIdempotency = false): StripeApiError {
    return invalid(message, { param, code, storeForIdempotency });
  },
  notExpandable(path: string): StripeApiError {
    return invalid(`This property cannot be expanded (${path}).`, { param: 'expand' });
  },
  unrecognizedUrl(method: string, path: string): StripeApiError {
    return new StripeApiError({
      status: 404,
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    });
  },
  missingApiKey(): StripeApiError {
    return new StripeApiError({
      status: 401,
      type: 'invalid_request_error',
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      headers: { 'WWW-Authenticate': 'Basic realm="Stripe"' },
    });
  },
  invalidApiKey(key: string): StripeApiError {
    return new StripeApiError({
      status: 401,
      type: 'invalid_request_error',
      message: `Invalid API Key provided: ${redactKey(key)}`,
      headers: { 'WWW-Authenticate': 'Basic realm="Stripe"' },
    });
  },
  rateLimited(): StripeApiError {
    return new StripeApiError({
      status: 429,
      type: 'invalid_request_error',
      code: 'rate_limit',
      message:
        'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
      headers: { 'Stripe-Should-Retry': 'true' },
    });
  },
  internal(): StripeApiError {
    return new StripeApiError({
      status: 500,
      type: 'api_error',
      message:
        "Sorry, something went wrong. We've already been notified of the problem, but if you need any help, you can reach us at support.stripe.com/contact.",
      headers: { 'Stripe-Should-Retry': 'true' },
    });
  },
  idempotencyMismatch(key: string): StripeApiError {
    return new StripeApiError({
      status: 400,
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    });
  },
};

/** `sk_test_abc…wxyz` → `sk_test_****wxyz`, as Stripe echoes a wrong key. */
export function redactKey(key: string): string {
  const match = /^((?:sk|rk|pk)_(?:test|live)_)(.*)$/.exec(key);
  const prefix = match?.[1] ?? '';
  const rest = match?.[2] ?? key;
  const tail = rest.slice(-4);
  return `${prefix}${'*'.repeat(Math.max(rest.length - tail.length, 4))}${tail}`;
}
