import { EgressRefusedError } from '../../errors.ts';

/** What went wrong with a target, as a machine-readable code (422 at creation, `last_error` while running). */
export type TargetErrorCode =
  | 'egress_refused'
  | 'target_unreachable'
  | 'target_tls_failed'
  | 'target_auth_failed'
  | 'target_database_not_found'
  | 'target_unavailable'
  | 'target_conflict'
  | 'schema_not_found'
  | 'table_not_found'
  | 'table_mismatch'
  | 'permission_denied'
  | 'target_rejected';

export interface TargetProblem {
  code: TargetErrorCode;
  /** Said of the target, never holding the password: `connection refused`, `login refused: …`. */
  reason: string;
  /**
   * Worth trying the same batch again unchanged: the target may come back, the login or the table
   * may be fixed. False only where the target refused these rows themselves (a constraint, a value).
   */
  retryable: boolean;
  /** The connection is gone or unusable: the next attempt opens a new one. */
  connectionLost: boolean;
}

const NODE_NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed',
};

type ErrorFields = { code?: unknown; message?: unknown; routine?: unknown; column?: unknown };

const problem = (code: TargetErrorCode, reason: string, retryable = true, connectionLost = true): TargetProblem => ({ code, reason, retryable, connectionLost });

/** A server error (SQLSTATE) by its class. https://www.postgresql.org/docs/current/errcodes-appendix.html */
function fromSqlState(state: string, message: string): TargetProblem {
  if (state === '28000' || state === '28P01') return problem('target_auth_failed', `login refused: ${message}`);
  if (state === '3D000') return problem('target_database_not_found', message);
  if (state.startsWith('08')) return problem('target_unreachable', message);
  // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 starting up, 53xxx out of resources (too many connections).
  if (state === '57P01' || state === '57P02' || state === '57P03' || state === '57P05' || state.startsWith('53')) return problem('target_unavailable', message);
  // 57014: statement timeout or cancelled; 40001 serialization failure; 40P01 deadlock; 55P03 lock not available.
  if (state === '57014' || state === '40001' || state === '40P01' || state === '55P03') return problem('target_conflict', message, true, false);
  if (state === '3F000') return problem('schema_not_found', message, true, false);
  if (state === '42P01') return problem('table_not_found', `${message} (dropped or renamed?)`, true, false);
  // Undefined column, wrong type, no unique index for ON CONFLICT, a generated column: the table was altered.
  if (state === '42703' || state === '42804' || state === '42P10' || state === '428C9' || state === '42809') return problem('table_mismatch', `${message} (the table was altered?)`, true, false);
  if (state === '42501') return problem('permission_denied', message, true, false);
  // 25P02/25006 and the like leave the session unusable; a fresh one is cheap.
  if (state.startsWith('25')) return problem('target_rejected', message, true, true);
  return problem('target_rejected', message, false, false);
}

/**
 * Sorts a failure of `pg` against a tenant's target. Messages come from the target or the network
 * stack: they name the host and the user at most, never the password (pg is given it as a
 * function and never repeats it).
 */
export function classifyTargetError(error: unknown): TargetProblem {
  if (error instanceof EgressRefusedError) return problem('egress_refused', error.message);
  const fields = (typeof error === 'object' && error !== null ? error : {}) as ErrorFields;
  const code = typeof fields.code === 'string' ? fields.code : '';
  const message = typeof fields.message === 'string' && fields.message !== '' ? fields.message : String(error);
  if (/^[0-9A-Z]{5}$/.test(code) && /^[0-9]/.test(code)) return fromSqlState(code, message);
  if (NODE_NETWORK_ERRORS[code]) return problem('target_unreachable', NODE_NETWORK_ERRORS[code]!);
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate|self[- ]signed|SSL|TLS/i.test(code + message)) return problem('target_tls_failed', message);
  if (/SASL|password/i.test(message)) return problem('target_auth_failed', `login refused: ${message}`);
  if (/timeout|timed out/i.test(message)) return problem('target_unreachable', 'connection timed out');
  // "Connection terminated unexpectedly", "Client has encountered a connection error and is not queryable", …
  if (/connection|terminated|not queryable|closed/i.test(message)) return problem('target_unreachable', message);
  return problem('target_rejected', message, true, true);
}
