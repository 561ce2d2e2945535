import { Field } from './ui.tsx';
import type { StartPosition } from '../graphql/operations.ts';

/** The form's view of a start position: a local date-time (the browser's zone) and a position as typed. */
export interface StartPositionValue {
  deliverPolicy: 'all' | 'new' | 'by_start_time' | 'by_start_idx';
  startTime: string;
  startIdx: string;
}

export const initialStartPosition: StartPositionValue = { deliverPolicy: 'all', startTime: '', startIdx: '' };

/** The API's start position: the option its policy takes, and only that one. */
export function startPositionInput(value: StartPositionValue): StartPosition {
  if (value.deliverPolicy === 'by_start_time') {
    const at = new Date(value.startTime);
    return { deliverPolicy: value.deliverPolicy, optStartTime: Number.isNaN(at.getTime()) ? value.startTime : at.toISOString() };
  }
  if (value.deliverPolicy === 'by_start_idx') return { deliverPolicy: value.deliverPolicy, optStartIdx: value.startIdx.trim() };
  return { deliverPolicy: value.deliverPolicy };
}

export function describeStartPosition(value: StartPositionValue): string {
  if (value.deliverPolicy === 'all') return 'from the beginning of the stream';
  if (value.deliverPolicy === 'new') return 'from the stream’s head now (only later changes)';
  if (value.deliverPolicy === 'by_start_time') return `from the records changed at or after ${value.startTime || '…'}`;
  return `from stream position ${value.startIdx || '…'}`;
}

const POLICY_HINT = 'all: the whole stream; new: only changes from now on; by start time: records changed since a moment; by start position: from an updated_idx.';

/** Deliver policy, with the start time or start position its choice needs. `errorOf` gives the server's message for a field. */
export function StartPositionFields({
  value,
  onChange,
  label = 'Deliver policy',
  errorOf = () => undefined,
}: {
  value: StartPositionValue;
  onChange: (next: StartPositionValue) => void;
  label?: string;
  errorOf?: (path: 'deliverPolicy' | 'optStartTime' | 'optStartIdx') => string | undefined;
}) {
  return (
    <div className="row">
      <Field label={label} hint={POLICY_HINT} error={errorOf('deliverPolicy')}>
        {(id, describedBy, invalid) => (
          <select
            id={id}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            value={value.deliverPolicy}
            onChange={(e) => onChange({ ...value, deliverPolicy: e.target.value as StartPositionValue['deliverPolicy'] })}
          >
            <option value="all">all</option>
            <option value="new">new</option>
            <option value="by_start_time">by start time</option>
            <option value="by_start_idx">by start position</option>
          </select>
        )}
      </Field>
      {value.deliverPolicy === 'by_start_time' ? (
        <Field label="Start time" hint="In your browser's time zone." error={errorOf('optStartTime')}>
          {(id, describedBy, invalid) => (
            <input
              id={id}
              type="datetime-local"
              step={1}
              required
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              value={value.startTime}
              onChange={(e) => onChange({ ...value, startTime: e.target.value })}
            />
          )}
        </Field>
      ) : null}
      {value.deliverPolicy === 'by_start_idx' ? (
        <Field label="Start position (updated_idx)" hint="Delivery starts at the record versions at or after it." error={errorOf('optStartIdx')}>
          {(id, describedBy, invalid) => (
            <input
              id={id}
              inputMode="numeric"
              pattern="[0-9]+"
              required
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              value={value.startIdx}
              onChange={(e) => onChange({ ...value, startIdx: e.target.value })}
            />
          )}
        </Field>
      ) : null}
    </div>
  );
}
