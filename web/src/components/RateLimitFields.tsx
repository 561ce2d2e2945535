import { Field } from './ui.tsx';

export interface RateLimitValue {
  allowedRequests: number;
  interval: number;
  maxConcurrentRequests: number;
}

function numberOr(text: string, fallback: number): number {
  const value = Number(text);
  return Number.isFinite(value) ? value : fallback;
}

/** The upstream budget: at most `allowedRequests` per `interval` seconds, `maxConcurrentRequests` at once (0 = no cap). */
export function RateLimitFields({ value, onChange }: { value: RateLimitValue; onChange: (next: RateLimitValue) => void }) {
  return (
    <div className="row">
      <Field label="Allowed requests">
        {(id) => (
          <input id={id} type="number" min={1} required value={value.allowedRequests} onChange={(e) => onChange({ ...value, allowedRequests: numberOr(e.target.value, value.allowedRequests) })} />
        )}
      </Field>
      <Field label="Interval (seconds)">
        {(id) => <input id={id} type="number" min={0.1} step="any" required value={value.interval} onChange={(e) => onChange({ ...value, interval: numberOr(e.target.value, value.interval) })} />}
      </Field>
      <Field label="Max concurrent requests" hint="0 means no cap.">
        {(id, describedBy) => (
          <input
            id={id}
            aria-describedby={describedBy}
            type="number"
            min={0}
            required
            value={value.maxConcurrentRequests}
            onChange={(e) => onChange({ ...value, maxConcurrentRequests: numberOr(e.target.value, value.maxConcurrentRequests) })}
          />
        )}
      </Field>
    </div>
  );
}
