import pg from 'pg';
import type { MessageKind } from '../../domain/change-events.ts';
import type { PostgresDeletes } from '../../domain/postgres-consumers/events.ts';
import type { EgressPolicy } from '../../net/egress-policy.ts';
import { SinkWriteError, type SinkBatch, type SinkWriteResult, type SinkWriter } from '../sinks/sink.ts';
import { classifyTargetError } from './target-errors.ts';
import { targetClient, targetLabel, type PostgresTarget } from './target.ts';
import { batchParameter, upsertStatement } from './upsert.ts';
import { eventBatchParameter, eventInsertStatement } from './event-insert.ts';
import { isChangeEvent } from '../sinks/event-sources.ts';

export interface PostgresWriterOptions {
  consumerId: string;
  target: PostgresTarget;
  deletes: PostgresDeletes;
  /** `event`: each version inserted into an append-only table (eventInsertStatement); else (the default) records upserted. */
  messageKind?: MessageKind;
  policy: EgressPolicy;
}

/**
 * Writes one PostgreSQL consumer's batches into its table (docs/DELIVERY.md, "PostgreSQL
 * consumers"): one connection, opened at the first batch through the egress policy and opened
 * again after any failure that may have broken it; each batch one upsert statement (one
 * transaction; for change events one insert). Failures become SinkWriteError naming the target (host, database, table, never
 * the password); the runner retries them, forever for this kind.
 */
export class PostgresSinkWriter implements SinkWriter {
  private client: pg.Client | null = null;
  private readonly statement: string;
  private readonly label: string;
  private closed = false;

  constructor(private readonly options: PostgresWriterOptions) {
    this.statement = options.messageKind === 'event' ? eventInsertStatement(options.target.table) : upsertStatement(options.target.table, options.deletes);
    this.label = targetLabel(options.target);
  }

  async write(batch: SinkBatch, signal: AbortSignal): Promise<SinkWriteResult> {
    if (this.closed) throw new SinkWriteError(`PostgreSQL target ${this.label}: the writer is closed`, { retryable: true });
    if (signal.aborted) throw new SinkWriteError(`PostgreSQL target ${this.label}: write aborted`, { retryable: true });
    let client: pg.Client | null = null;
    // On abort the connection goes and the write returns at once. A statement the target is already
    // running may still commit: harmless, as the runner sends the same records again and the idx guard holds.
    const abort = () => {
      if (client) this.drop(client);
    };
    signal.addEventListener('abort', abort, { once: true });
    try {
      client = await this.connected();
      if (signal.aborted) throw new Error('write aborted');
      const events = this.options.messageKind === 'event';
      const parameter = events ? eventBatchParameter(batch.rows.filter(isChangeEvent)) : batchParameter(batch.rows);
      const { rows } = await client.query<{ written: number; deleted: number }>(this.statement, [parameter]);
      const { written, deleted } = rows[0] ?? { written: 0, deleted: 0 };
      const unchanged = batch.rows.length - written - deleted;
      return { responseExcerpt: `${written} written, ${deleted} deleted, ${unchanged} unchanged (${events ? 'already written' : 'already as new or newer'})` };
    } catch (error) {
      const problem = classifyTargetError(error);
      if (problem.connectionLost && client) this.drop(client);
      throw new SinkWriteError(`PostgreSQL target ${this.label}: ${problem.reason} [${problem.code}]`, { retryable: problem.retryable, cause: error });
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    const { policy, target, consumerId } = this.options;
    const client = new pg.Client(targetClient(policy, target, `syncline-consumer-${consumerId}`));
    // The target ending an idle connection (a restart, pg_terminate_backend) arrives as an event: the next write connects again.
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('the writer is closed');
    }
    this.client = client;
    return client;
  }

  private drop(client: pg.Client): void {
    if (this.client === client) this.client = null;
    client.end().catch(() => undefined);
  }
}
