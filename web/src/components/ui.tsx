import { useId, useState, type ReactNode } from 'react';
import type { CombinedError } from 'urql';

/**
 * A labelled form control: the label is tied to the input through htmlFor/id; the hint and a
 * server error about this field describe it (`invalid` for aria-invalid).
 */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string;
  error?: string | undefined;
  children: (id: string, describedBy: string | undefined, invalid: boolean) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, describedBy, Boolean(error))}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="error-text field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function ErrorNote({ error }: { error: CombinedError | Error | string | null | undefined }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : 'graphQLErrors' in error ? describeCombinedError(error) : error.message;
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

function describeCombinedError(error: CombinedError): string {
  if (error.graphQLErrors.length > 0) return error.graphQLErrors.map((e) => e.message).join('; ');
  return error.networkError?.message ?? error.message;
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

export function ProgressBar({ label, percent }: { label: string; percent: number | null }) {
  const value = percent == null ? null : Math.max(0, Math.min(100, percent));
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      {...(value == null ? {} : { 'aria-valuenow': Math.round(value) })}
    >
      <div className={value == null ? 'progress-bar indeterminate' : 'progress-bar'} style={value == null ? undefined : { width: `${value}%` }} />
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'error' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function stateTone(state: string): 'ok' | 'warn' | 'error' | 'info' | 'muted' {
  if (state === 'active') return 'ok';
  if (state === 'backfilling') return 'info';
  if (state === 'paused') return 'muted';
  if (state === 'error') return 'error';
  return 'warn';
}

/** Copies text to the clipboard and says so to screen readers. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  // The button keeps its text (its accessible name must contain what it shows); "Copied" is said beside it.
  return (
    <span className="copy">
      <span role="status" className="muted small-text">
        {copied ? 'Copied' : ''}
      </span>
      <button type="button" className="secondary small" onClick={() => void copy()} aria-label={label}>
        Copy
      </button>
    </span>
  );
}

export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
