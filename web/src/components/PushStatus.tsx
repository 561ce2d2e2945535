import { Badge, formatTime } from './ui.tsx';
import type { PushStatus } from '../graphql/operations.ts';

const STATE_TONES: Record<string, 'ok' | 'info' | 'warn' | 'error'> = { connected: 'ok', connecting: 'info', disconnected: 'warn', error: 'error' };

/** The sink runner's state: connecting, connected, disconnected (target unreachable) or error (it refused). */
export function PushStateBadge({ state }: { state: string }) {
  return (
    <span data-testid="push-state" data-state={state}>
      <Badge tone={STATE_TONES[state] ?? 'muted'}>{state}</Badge>
    </span>
  );
}

export function formatLagSeconds(seconds: number): string {
  if (seconds <= 0) return '0 s';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** State, lag, lag in time and the last delivery of a push consumer, refreshed by its page; the last error as an alert. */
export function PushStatusStats({ status, deliveredLabel = 'last delivered' }: { status: PushStatus; deliveredLabel?: string }) {
  return (
    <>
      <dl className="stats" aria-label="Delivery status" aria-live="polite">
        <div>
          <dt>state</dt>
          <dd>
            <PushStateBadge state={status.state} />
          </dd>
        </div>
        <div>
          <dt>lag (records not yet delivered)</dt>
          <dd data-testid="push-lag">{status.lag}</dd>
        </div>
        <div>
          <dt>lag (time)</dt>
          <dd data-testid="push-lag-seconds">{formatLagSeconds(status.lagSeconds)}</dd>
        </div>
        <div>
          <dt>{deliveredLabel}</dt>
          <dd className="small-dd" data-testid="push-last-delivered">
            {status.lastDeliveredAt ? <time dateTime={status.lastDeliveredAt}>{formatTime(status.lastDeliveredAt)}</time> : 'never'}
          </dd>
        </div>
      </dl>
      {status.lastError ? (
        <p role="alert" className="error" data-testid="push-last-error">
          Last error ({formatTime(status.lastError.at)}): {status.lastError.message}
        </p>
      ) : null}
    </>
  );
}
