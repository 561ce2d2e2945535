import pg from 'pg';
import type { MessageKind } from '../../domain/change-events.ts';
import type { PostgresDeletes } from '../../domain/postgres-consumers/events.ts';
import { UnprocessableError } from '../../errors.ts';
import type { EgressPolicy } from '../../net/egress-policy.ts';
import { tableText } from './table-name.ts';
import { createTableStatement, tableProblem } from './table-shape.ts';
import { classifyTargetError } from './target-errors.ts';
import { targetClient, targetLabel, type PostgresTarget } from './target.ts';

/** Where a problem points in the request (the command's field names). */
const PATHS: Record<string, string> = {
  egress_refused: 'connection.host',
  target_unreachable: 'connection',
  target_tls_failed: 'connection.ssl',
  target_auth_failed: 'connection.password',
  target_database_not_found: 'connection.database',
  schema_not_found: 'table',
  table_not_found: 'table',
  table_mismatch: 'table',
  permission_denied: 'table',
};

function refusal(code: string, message: string): UnprocessableError {
  return new UnprocessableError(code, message, [{ path: PATHS[code] ?? 'connection', message }]);
}

/**
 * Before a consumer is created (or its target changed): connects to the target (the egress policy
 * checks the address; at most CONNECT_TIMEOUT_MS), creates the table when asked and it is missing,
 * and checks that the table fits the writer's upsert (or, for change events, its insert). Bad settings are refused now with a 422 and
 * a code, rather than accepted to fail forever: an unreachable target, a refused login, a missing
 * database, schema or table, a table whose columns do not fit (the column named), missing
 * privileges. Nothing is written but the table.
 */
export async function prepareTarget(policy: EgressPolicy, target: PostgresTarget, options: { createTable: boolean; deletes: PostgresDeletes; messageKind?: MessageKind }): Promise<void> {
  const label = targetLabel(target);
  const client = new pg.Client(targetClient(policy, target, 'syncline-consumer-check'));
  // An error after the last query (the target going away) must not reach the process as an unhandled event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    if (options.createTable) {
      const { rows } = await client.query<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists', [target.table.schema]);
      if (!rows[0]?.exists) throw refusal('schema_not_found', `${label}: schema ${target.table.schema} does not exist (create it, or name another schema)`);
      await createTableIfMissing(client, target, options.messageKind ?? 'record');
    }
    const problem = await tableProblem(client, target.table, options.deletes, options.messageKind);
    if (problem) {
      throw new UnprocessableError(problem.code, `${label}: ${problem.message}`, [{ path: 'table', message: problem.message }]);
    }
  } catch (error) {
    if (error instanceof UnprocessableError) throw error;
    const { code, reason } = classifyTargetError(error);
    throw refusal(code, `cannot use the PostgreSQL target ${label}: ${reason}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createTableIfMissing(client: pg.Client, target: PostgresTarget, kind: MessageKind): Promise<void> {
  try {
    await client.query(createTableStatement(target.table, kind));
  } catch (error) {
    // Two creations at once: the other made it (IF NOT EXISTS does not cover the race on the catalog).
    const code = (error as { code?: unknown }).code;
    if (code === '23505' || code === '42P07') return;
    if (code === '42501') throw refusal('permission_denied', `${targetLabel(target)}: the login may not create table ${tableText(target.table)}`);
    throw error;
  }
}
