/**
 * Application errors with a machine-readable code. They are mapped to HTTP statuses and GraphQL
 * error extensions in one place each (src/http/error-response.ts, src/schema/errors.ts).
 */
export type ErrorDetail = { path: string; message: string };

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(code: string, message: string, details: ErrorDetail[] = []) {
    super(code, message, 400, details);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('validation_failed', message, 400, details);
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, message: string, details: ErrorDetail[] = []) {
    super(code, message, 422, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid API token') {
    super('unauthorized', message, 401);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message, 403);
  }
}

export class NotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super('not_found', `${resource} ${id} not found`, 404);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, 409);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limit: number) {
    super('payload_too_large', `request body exceeds ${limit} bytes`, 413);
  }
}

/**
 * An outbound connection the egress policy refuses (src/net/egress-policy.ts): the host is, or
 * resolves to, a loopback, private, link-local… address that SYNCLINE_EGRESS_ALLOW does not allow.
 * The message names the host and the kind of address, never what the name resolved to.
 */
export class EgressRefusedError extends UnprocessableError {
  constructor(
    readonly host: string,
    readonly range: string,
    /** For the server's logs only. */
    readonly address: string,
  ) {
    super('egress_refused', `the egress policy refused a connection to ${host}: it is or resolves to a ${range} address (an operator may allow it with SYNCLINE_EGRESS_ALLOW)`);
  }
}

/** A body whose size is not known before it is read (chunked), where the size must be checked first. */
export class LengthRequiredError extends AppError {
  constructor(message: string) {
    super('length_required', message, 411);
  }
}

/** A per-account count limit (syncs, consumers) is reached: 422 with the limit in `details`. */
export class QuotaExceededError extends AppError {
  constructor(resource: string, limit: number, setting: string) {
    const details: (ErrorDetail & { limit: number; setting: string })[] = [
      { path: resource, message: `at most ${limit} ${resource} per account`, limit, setting },
    ];
    super('quota_exceeded', `the account has reached its limit of ${limit} ${resource}; delete one or ask the operator to raise ${setting}`, 422, details);
  }
}

/** Too many requests in a window (the account's API rate, failed authentications from an address): 429 with `Retry-After`. */
export class TooManyRequestsError extends AppError {
  constructor(
    code: 'rate_limited' | 'too_many_failed_authentications',
    message: string,
    /** Whole seconds until a retry can succeed, for the `Retry-After` header. */
    readonly retryAfterSeconds: number,
  ) {
    super(code, message, 429);
  }
}

/**
 * A broken invariant: a bug in our own code (a decider given a command type it does not know, a
 * mutation item outside its run), never the caller's fault. Deliberately not an `AppError`: both
 * error mappers treat it as any unexpected error, a logged 500 / `internal`; `code` says which
 * invariant in the logs.
 */
export class InvariantError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
