import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../../app-context.ts';
import type { WebhookRegistrationOutcome } from '../../domain/syncs/decide.ts';
import type { Sync } from '../../generated/prisma/client.ts';
import type { Provider, ProviderContext, RegisteredWebhook } from '../providers/provider.ts';
import { currentRegistration, registrationMode, storedRegistration, webhookUrl, type StoredRegistration } from './webhook-state.ts';

/** A registration is renewed this long before it lapses (at most half its lifetime before). */
const RENEW_AHEAD_MS = 86_400_000;
/** Wakes at least this often (timers cannot wait the 29 days of a Jira renewal in one go). */
const MAX_SLEEP_MS = 3_600_000;
const RETRY_MIN_MS = 30_000;
const RETRY_MAX_MS = 3_600_000;


export const sealRegistration = (ctx: AppContext, registered: RegisteredWebhook): string =>
  ctx.secretBox.seal(JSON.stringify({ ...registered, expiresAt: registered.expiresAt?.toISOString() ?? null }));

/** The RegisteredWebhook a stored registration keeps (null when it has none, or it no longer opens). */
export function openRegistration(ctx: AppContext, stored: StoredRegistration | null): RegisteredWebhook | null {
  if (!stored?.registrationSealed) return null;
  try {
    const parsed = JSON.parse(ctx.secretBox.open(stored.registrationSealed)) as Omit<RegisteredWebhook, 'expiresAt'> & { expiresAt: string | null };
    return { ...parsed, expiresAt: parsed.expiresAt ? new Date(parsed.expiresAt) : null };
  } catch {
    return null;
  }
}

/** When a registration made at `at` that lapses at `expiresAt` is renewed. */
export function renewalDue(registered: { at: string; expiresAt: string | null }): number | null {
  if (!registered.expiresAt) return null;
  const expires = Date.parse(registered.expiresAt);
  return expires - Math.min(RENEW_AHEAD_MS, (expires - Date.parse(registered.at)) / 2);
}

/**
 * The sync's webhook registration upstream, kept by the runner that holds the sync's lease
 * (docs/PROVIDER-WEBHOOKS.md, "Registration"): at start it registers when webhooks are enabled
 * and none is recorded for the current URL and collections (replacing an older one through
 * `previous`), renews before `expiresAt`, retries failures with backoff; with webhooks disabled
 * it removes a registration still recorded. Each outcome is an event of the sync
 * (SyncWebhookRegistered / …RegistrationFailed / …Unregistered), the registration sealed.
 */
export class WebhookRegistrar {
  private registeredNow: boolean;
  private readonly done: Promise<void>;
  /** Aborted when the run is stopped, or by `stop()` when it ended by itself. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly ctx: AppContext,
    private readonly sync: Sync,
    private readonly provider: Provider,
    private readonly context: ProviderContext,
    runSignal: AbortSignal,
    private readonly record: (outcome: WebhookRegistrationOutcome) => Promise<void>,
  ) {
    this.registeredNow = currentRegistration(ctx.config, sync)?.state === 'registered';
    runSignal.addEventListener('abort', () => this.stopping.abort(), { once: true });
    if (runSignal.aborted) this.stopping.abort();
    this.done = this.run().catch((error: unknown) => {
      if (!this.signal.aborted) ctx.logger.warn({ err: error, syncId: sync.id }, 'webhook registration stopped');
    });
  }

  private get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** A registration for the current settings is in place (the poll interval may relax). */
  get registered(): boolean {
    return this.registeredNow;
  }

  /** Stops renewing (a registration in progress finishes) and resolves once the registrar is done. */
  stop(): Promise<void> {
    this.stopping.abort();
    return this.done;
  }

  private async run(): Promise<void> {
    const webhooks = this.provider.webhooks;
    if (!this.sync.webhooksEnabled) return this.removeLeftover();
    if (!webhooks?.register || registrationMode(this.ctx.config, this.provider).mode !== 'register') return;
    const url = webhookUrl(this.ctx.config, this.sync.id);
    let stored = storedRegistration(this.sync);
    let current = currentRegistration(this.ctx.config, this.sync);
    let retryMs = RETRY_MIN_MS;
    while (!this.signal.aborted) {
      const due = current?.state === 'registered' ? (renewalDue(current) ?? Infinity) : this.ctx.now().getTime();
      const wait = due - this.ctx.now().getTime();
      if (wait > 0) {
        if (wait === Infinity) return;
        await this.pause(Math.min(wait, MAX_SLEEP_MS));
        continue;
      }
      try {
        const registered = await webhooks.register(this.context, { url, collectionIds: this.sync.collectionIds, previous: openRegistration(this.ctx, stored) });
        const at = this.ctx.now().toISOString();
        const expiresAt = registered.expiresAt?.toISOString() ?? null;
        const registrationSealed = sealRegistration(this.ctx, registered);
        await this.record({ outcome: 'registered', url, collectionIds: this.sync.collectionIds, registrationSealed, expiresAt });
        stored = current = { state: 'registered', url, collectionIds: this.sync.collectionIds, registrationSealed, expiresAt, error: null, at };
        this.registeredNow = true;
        retryMs = RETRY_MIN_MS;
        this.ctx.logger.info({ syncId: this.sync.id, provider: this.provider.name, expiresAt }, 'webhook registered upstream');
      } catch (error) {
        if (this.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        this.ctx.logger.warn({ err: error, syncId: this.sync.id, retryInMs: retryMs }, 'webhook registration failed');
        await this.record({ outcome: 'failed', url, collectionIds: this.sync.collectionIds, error: message }).catch(() => undefined);
        // A failed renewal keeps the registration it could not renew until it lapses.
        this.registeredNow = current?.expiresAt ? Date.parse(current.expiresAt) > this.ctx.now().getTime() && this.registeredNow : false;
        await this.pause(retryMs);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
      }
    }
  }

  /** Webhooks disabled: the registration still recorded is removed upstream (best effort), then forgotten. */
  private async removeLeftover(): Promise<void> {
    const stored = storedRegistration(this.sync);
    if (!stored) return;
    await removeRegistration(this.ctx, this.provider, this.context, stored, this.sync.id);
    await this.record({ outcome: 'unregistered' });
    this.registeredNow = false;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.signal }).catch(() => undefined);
  }
}

/** Removes a registration upstream; a failure is logged, not thrown (the provider stops sending to a URL that answers 404). */
export async function removeRegistration(ctx: AppContext, provider: Provider, context: ProviderContext, stored: StoredRegistration, syncId: string): Promise<boolean> {
  const registered = openRegistration(ctx, stored);
  if (!registered || !provider.webhooks?.unregister) return false;
  try {
    await provider.webhooks.unregister(context, registered);
    ctx.logger.info({ syncId, provider: provider.name }, 'webhook registration removed upstream');
    return true;
  } catch (error) {
    ctx.logger.warn({ err: error, syncId, provider: provider.name }, 'webhook registration could not be removed upstream');
    return false;
  }
}
