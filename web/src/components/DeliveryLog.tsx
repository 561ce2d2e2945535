import { useState } from 'react';
import { useQuery } from 'urql';
import { ScrollRegion } from './ScrollRegion.tsx';
import { Badge, ErrorNote, formatTime, Loading } from './ui.tsx';
import type { DeliveryAttempt, LogPage } from '../graphql/operations.ts';
import { usePolling } from '../usePolling.ts';

export const LOG_PAGE_SIZE = 25;
const keepStill = () => undefined;

/**
 * Pages of a newest-first log: the first page refreshes itself (every 2 s), older pages stay as
 * read, so rows never shift under the reader. `cursors` is the way back to the first page.
 */
export function usePagedLog<TData>(query: string, consumerId: string, select: (data: TData) => LogPage<unknown> | null | undefined) {
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors.at(-1) ?? null;
  const [{ data, fetching, error }, reexecute] = useQuery<TData>({ query, variables: { id: consumerId, first: LOG_PAGE_SIZE, after }, requestPolicy: 'cache-and-network' });
  usePolling(after === null ? reexecute : keepStill, 2000);
  const page = data ? select(data) : null;
  return {
    page,
    fetching,
    error,
    pageNumber: cursors.length + 1,
    older: page?.nextCursor ? () => setCursors([...cursors, page.nextCursor!]) : null,
    newer: cursors.length > 0 ? () => setCursors(cursors.slice(0, -1)) : null,
    newest: cursors.length > 0 ? () => setCursors([]) : null,
    refresh: () => reexecute({ requestPolicy: 'network-only' }),
  };
}

export function LogPager({ label, pageNumber, older, newer, newest }: { label: string; pageNumber: number; older: (() => void) | null; newer: (() => void) | null; newest: (() => void) | null }) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <span className="muted small-text">{pageNumber === 1 ? 'Newest, refreshed every 2 s' : `Page ${pageNumber} (not refreshed)`}</span>
      {newest ? (
        <button type="button" className="secondary small" onClick={newest}>
          Newest
        </button>
      ) : null}
      {newer ? (
        <button type="button" className="secondary small" onClick={newer}>
          Newer
        </button>
      ) : null}
      {older ? (
        <button type="button" className="secondary small" onClick={older}>
          Older
        </button>
      ) : null}
    </nav>
  );
}

function StatusCell({ attempt }: { attempt: DeliveryAttempt }) {
  // PostgreSQL attempts have no status; a webhook attempt without one got no HTTP answer.
  const shown = attempt.status !== null ? String(attempt.status) : attempt.error ? (attempt.webhookId !== undefined ? 'no answer' : 'failed') : 'committed';
  return <Badge tone={attempt.error ? 'error' : 'ok'}>{shown}</Badge>;
}

function Excerpt({ text }: { text: string }) {
  if (text.length <= 160) return <code>{text}</code>;
  return (
    <details>
      <summary>
        <code>{text.slice(0, 160)}…</code>
      </summary>
      <pre className="json">{text}</pre>
    </details>
  );
}

/** The delivery log of a push consumer (the last 1,000 attempts, newest first), a page at a time. */
export function DeliveryLog<TData>({
  query,
  consumerId,
  select,
  idField,
  idLabel,
}: {
  query: string;
  consumerId: string;
  select: (data: TData) => LogPage<DeliveryAttempt> | null | undefined;
  idField: 'webhookId' | 'batchId';
  idLabel: string;
}) {
  const log = usePagedLog<TData>(query, consumerId, select);
  const attempts = (log.page?.nodes ?? []) as DeliveryAttempt[];
  return (
    <section aria-labelledby="delivery-log-title" className="card">
      <h2 id="delivery-log-title">Delivery log</h2>
      <p className="hint">Every attempt, newest first (the last 1,000 are kept): its time, batch, status, latency and the first 2 KB of the answer.</p>
      {log.fetching && !log.page ? <Loading what="delivery log" /> : null}
      {log.error && !log.page ? <ErrorNote error={log.error} /> : null}
      {log.page && attempts.length === 0 ? <p className="muted">No attempts yet.</p> : null}
      {attempts.length > 0 ? (
        <ScrollRegion label="Delivery log">
          <table className="table" data-testid="delivery-log">
            <caption className="visually-hidden">Delivery attempts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">{idLabel}</th>
                <th scope="col">Batch size</th>
                <th scope="col">Status</th>
                <th scope="col">Latency</th>
                <th scope="col">Error / answer</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((attempt, i) => (
                <tr key={`${attempt.at}-${attempt[idField] ?? ''}-${i}`} data-status={attempt.status ?? ''} data-ok={attempt.error ? 'false' : 'true'}>
                  <th scope="row">
                    <time dateTime={attempt.at}>{formatTime(attempt.at)}</time>
                  </th>
                  <td className="mono truncate" title={attempt[idField] ?? undefined}>
                    {attempt[idField] ?? '—'}
                  </td>
                  <td>{attempt.batchSize}</td>
                  <td>
                    <StatusCell attempt={attempt} />
                  </td>
                  <td>{attempt.latencyMs} ms</td>
                  <td className="excerpt">
                    {attempt.error ? <span className="error-text">{attempt.error}</span> : null}
                    {attempt.error && attempt.responseExcerpt ? <br /> : null}
                    {attempt.responseExcerpt ? <Excerpt text={attempt.responseExcerpt} /> : null}
                    {!attempt.error && !attempt.responseExcerpt ? '—' : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
      <LogPager label="Delivery log" pageNumber={log.pageNumber} older={log.older} newer={log.newer} newest={log.newest} />
    </section>
  );
}
