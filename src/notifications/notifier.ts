import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.ts';
import type { Logger } from '../logger.ts';
import { signedPoster } from '../consumers/webhook/writer.ts';
import { SinkWriteError } from '../consumers/sinks/sink.ts';
import { egressDispatcher } from '../net/egress-fetch.ts';
import type { Notification } from './notification.ts';

/** How often each process looks for notifications due. */
const POLL_MS = 1_000;
/** Subjects claimed at once; each is sent on its own. */
const CLAIM = 20;
/** A claim outlives a send's timeout by far: another process takes the subject over only after a crash. */
const LEASE = '2 minutes';
const TIMEOUT_MS = 10_000;
const BACKOFF_INITIAL_MS = 1_000;
const BACKOFF_MAX_MS = 10 * 60_000;
/** A notification failing this long is dropped (the receiver is gone): the next change starts again. */
const GIVE_UP_MS = 24 * 3_600_000;
/** Attempts kept per account in the delivery log. */
const DELIVERIES_KEPT = 100;

type Due = { account_id: string; subject: string; topic: string; pending: Notification; seq: string; coalesced: number; attempts: number; pending_since: Date };
type Hook = { account_id: string; url: string; secret_encrypted: string; previous_secret_encrypted: string | null; previous_secret_valid_until: Date | null };

/** Exponential, jittered (half to all of it), at least what the receiver asked for. */
const retryDelay = (attempts: number, retryAfterMs: number | undefined) => {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(attempts, 20));
  return Math.max(Math.round(ceiling / 2 + Math.random() * (ceiling / 2)), Math.min(retryAfterMs ?? 0, BACKOFF_MAX_MS));
};

/**
 * The `webhook-id` of a subject's change `seq` (and its time: counts start again when a removed
 * webhook is set again): the same for every attempt at it, in every process.
 */
export const notificationId = (due: Pick<Due, 'account_id' | 'subject' | 'topic' | 'seq' | 'pending'>) =>
  `msg_${createHash('sha256').update(`${due.account_id}\n${due.subject}\n${due.topic}\n${due.seq}\n${due.pending.timestamp}`).digest('base64url').slice(0, 32)}`;

/** The body POSTed: the pending notification, with the number of changes it stands for. */
export const notificationBody = (due: Pick<Due, 'pending' | 'coalesced'>): Buffer =>
  Buffer.from(JSON.stringify({ ...due.pending, data: { ...due.pending.data, changes: due.coalesced } }), 'utf8');

/**
 * Sends accounts' pending notifications (docs/OPERATIONS.md "Notifications") from the outbox the
 * notification projection fills: per subject and topic at most one POST per
 * SYNCLINE_NOTIFY_INTERVAL_MS (what changed meanwhile is coalesced into the latest state), signed
 * like webhook consumers' deliveries, retried with backoff until a 2xx. Every process runs one;
 * a subject is claimed (row lock, then a lease) by one at a time.
 */
export class Notifier {
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private readonly ctx: AppContext,
    private readonly options: { pollMs?: number } = {},
  ) {
    this.log = ctx.logger.child({ component: 'notifier' });
  }

  start(): void {
    const tick = () => {
      this.round = this.sendDue()
        .catch((error: unknown) => this.log.warn({ err: error }, 'notifications: a round failed'))
        .finally(() => {
          if (!this.abort.signal.aborted) this.timer = setTimeout(tick, this.options.pollMs ?? POLL_MS);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  private async sendDue(): Promise<void> {
    const { rows: due } = await this.ctx.pool.query<Due>(
      `WITH due AS (
         SELECT account_id, subject, topic FROM notification_subjects
         WHERE pending IS NOT NULL AND (leased_until IS NULL OR leased_until < now()) AND (retry_at IS NULL OR retry_at <= now())
           AND (last_sent_at IS NULL OR last_sent_at <= now() - make_interval(secs => $1::double precision / 1000))
         ORDER BY pending_since LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE notification_subjects s SET leased_until = now() + interval '${LEASE}'
       FROM due WHERE s.account_id = due.account_id AND s.subject = due.subject AND s.topic = due.topic
       RETURNING s.account_id, s.subject, s.topic, s.pending, s.seq, s.coalesced, s.attempts, s.pending_since`,
      [this.ctx.config.SYNCLINE_NOTIFY_INTERVAL_MS, CLAIM],
    );
    if (due.length === 0) return;
    const { rows: hooks } = await this.ctx.pool.query<Hook>(
      'SELECT account_id, url, secret_encrypted, previous_secret_encrypted, previous_secret_valid_until FROM notification_webhooks WHERE account_id = ANY($1::uuid[])',
      [[...new Set(due.map((d) => d.account_id))]],
    );
    const byAccount = new Map(hooks.map((hook) => [hook.account_id, hook]));
    await Promise.all(due.map((d) => this.send(d, byAccount.get(d.account_id))));
  }

  private async send(due: Due, hook: Hook | undefined): Promise<void> {
    if (!hook) {
      // The webhook was removed: nothing of the account is sent any more.
      await this.ctx.pool.query('DELETE FROM notification_subjects WHERE account_id = $1', [due.account_id]);
      return;
    }
    const post = signedPoster(
      {
        url: hook.url,
        headers: {},
        secret: this.ctx.secretBox.open(hook.secret_encrypted),
        previousSecret: hook.previous_secret_encrypted === null ? null : this.ctx.secretBox.open(hook.previous_secret_encrypted),
        previousSecretValidUntil: hook.previous_secret_valid_until,
        timeoutMs: TIMEOUT_MS,
      },
      { dispatcher: egressDispatcher(this.ctx.config), now: this.ctx.now },
    );
    const id = notificationId(due);
    const started = performance.now();
    const at = this.ctx.now();
    let status: number | null = null;
    let failure: SinkWriteError | null = null;
    try {
      status = (await post(id, notificationBody(due), this.abort.signal)).status ?? null;
    } catch (error) {
      failure = error instanceof SinkWriteError ? error : new SinkWriteError(error instanceof Error ? error.message : String(error), { retryable: true });
      status = failure.options.status ?? null;
    }
    const key = [due.account_id, due.subject, due.topic];
    if (failure && this.abort.signal.aborted) {
      // Stopped mid-send: not an attempt; the next process (or start) sends it.
      await this.ctx.pool.query('UPDATE notification_subjects SET leased_until = NULL WHERE account_id = $1 AND subject = $2 AND topic = $3', key);
      return;
    }
    const latencyMs = performance.now() - started;
    await this.logDelivery(due.account_id, { at, id, type: due.pending.type, status, latencyMs, error: failure?.message ?? null });
    const log = { accountId: due.account_id, subject: due.subject, notification: due.pending.type, webhookId: id };
    if (!failure) {
      const records = due.pending.type === 'consumer.dead_letters' ? Number(due.pending.data.records ?? 0) : 0;
      await this.ctx.pool.query(
        `UPDATE notification_subjects SET last_sent_at = now(), leased_until = NULL, attempts = 0, retry_at = NULL, attempt_error = NULL,
           pending = CASE WHEN seq = $4 THEN NULL
                          WHEN topic = 'dead_letters' THEN jsonb_set(pending, '{data,records}', to_jsonb(GREATEST((pending->'data'->>'records')::bigint - $6, 0)))
                          ELSE pending END,
           pending_since = CASE WHEN seq = $4 THEN NULL ELSE pending_since END,
           coalesced = CASE WHEN seq = $4 THEN 0 ELSE GREATEST(coalesced - $5, 1) END
         WHERE account_id = $1 AND subject = $2 AND topic = $3`,
        [...key, due.seq, due.coalesced, records],
      );
      this.log.debug({ ...log, status }, 'notification sent');
      return;
    }
    if (this.ctx.now().getTime() - due.pending_since.getTime() >= GIVE_UP_MS) {
      await this.ctx.pool.query(
        `UPDATE notification_subjects SET pending = CASE WHEN seq = $4 THEN NULL ELSE pending END, pending_since = CASE WHEN seq = $4 THEN NULL ELSE now() END,
           coalesced = 0, attempts = 0, retry_at = NULL, leased_until = NULL, attempt_error = $5
         WHERE account_id = $1 AND subject = $2 AND topic = $3`,
        [...key, due.seq, failure.message],
      );
      this.log.warn({ ...log, error: failure.message }, 'notification dropped: the webhook failed for a day');
      return;
    }
    const delay = retryDelay(due.attempts, failure.options.retryAfterMs);
    await this.ctx.pool.query(
      `UPDATE notification_subjects SET leased_until = NULL, attempts = attempts + 1, retry_at = now() + make_interval(secs => $4::double precision / 1000), attempt_error = $5
       WHERE account_id = $1 AND subject = $2 AND topic = $3`,
      [...key, delay, failure.message],
    );
    if (due.attempts === 0) this.log.warn({ ...log, error: failure.message, retryInMs: delay }, 'notification failed: retrying with backoff');
    else this.log.debug({ ...log, error: failure.message, attempts: due.attempts + 1, retryInMs: delay }, 'notification failed again');
  }

  private async logDelivery(accountId: string, entry: { at: Date; id: string; type: string; status: number | null; latencyMs: number; error: string | null }): Promise<void> {
    await this.ctx.pool.query(
      `WITH added AS (
         INSERT INTO notification_deliveries (account_id, at, webhook_id, type, status, latency_ms, error) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id)
       DELETE FROM notification_deliveries WHERE account_id = $1
         AND id <= (SELECT id FROM notification_deliveries WHERE account_id = $1 ORDER BY id DESC OFFSET ${DELIVERIES_KEPT - 1} LIMIT 1)`,
      [accountId, entry.at, entry.id, entry.type, entry.status, entry.latencyMs, entry.error],
    );
  }
}
