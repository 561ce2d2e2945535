import { useState } from 'react';
import { useMutation } from 'urql';
import { LogPager, usePagedLog } from './DeliveryLog.tsx';
import { ScrollRegion } from './ScrollRegion.tsx';
import { Badge, ErrorNote, formatTime, Loading } from './ui.tsx';
import {
  RedeliverDeadLettersMutation,
  WebhookDeadLettersQuery,
  type DeadLetter,
  type RedeliverDeadLettersData,
  type WebhookDeadLettersData,
} from '../graphql/operations.ts';

/** A webhook consumer's dead letters (newest first), each re-deliverable, or all at once. */
export function DeadLetters({ consumerId }: { consumerId: string }) {
  const log = usePagedLog<WebhookDeadLettersData>(WebhookDeadLettersQuery, consumerId, (data) => data.webhookConsumer?.deadLetters);
  const [result, redeliver] = useMutation<RedeliverDeadLettersData, { id: string; upstreamIds?: string[]; all?: boolean }>(RedeliverDeadLettersMutation);
  const [said, setSaid] = useState<string | null>(null);
  const letters = (log.page?.nodes ?? []) as DeadLetter[];

  const send = async (what: { upstreamIds: string[] } | { all: true }, label: string) => {
    setSaid(null);
    const answer = await redeliver({ id: consumerId, ...what });
    if (answer.data) {
      const n = answer.data.redeliverWebhookDeadLetters;
      setSaid(`${label}: ${n} ${n === 1 ? 'record' : 'records'} queued for redelivery.`);
      log.refresh();
    }
  };

  return (
    <section aria-labelledby="dead-letters-title" className="card">
      <div className="section-head">
        <h2 id="dead-letters-title">Dead letters</h2>
        {letters.length > 0 ? (
          <button type="button" className="secondary" disabled={result.fetching} onClick={() => void send({ all: true }, 'Redeliver all')}>
            Redeliver all
          </button>
        ) : null}
      </div>
      <p className="hint">
        Records of batches your endpoint refused max-deliveries times, or that failed for the whole retry window. Delivery went on behind them; redelivery sends a record again at its
        version now (one changed since was already delivered anew).
      </p>
      <ErrorNote error={result.error} />
      {said ? (
        <p role="status" className="muted">
          {said}
        </p>
      ) : null}
      {log.fetching && !log.page ? <Loading what="dead letters" /> : null}
      {log.error && !log.page ? <ErrorNote error={log.error} /> : null}
      {log.page && letters.length === 0 ? <p className="muted">No dead letters.</p> : null}
      {letters.length > 0 ? (
        <ScrollRegion label="Dead letters">
          <table className="table" data-testid="dead-letters">
            <caption className="visually-hidden">Dead letters, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Version</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">First attempt</th>
                <th scope="col">Dead since</th>
                <th scope="col">Webhook id</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {letters.map((letter) => (
                <tr key={`${letter.syncId}/${letter.collectionId}/${letter.upstreamId}`} data-upstream-id={letter.upstreamId}>
                  <th scope="row">
                    <span className="mono">{letter.upstreamId}</span> <span className="muted small-text">{letter.collectionId}</span>
                  </th>
                  <td className="mono">{letter.updatedIdx}</td>
                  <td>{letter.attempts}</td>
                  <td className="excerpt">{letter.lastError ?? '—'}</td>
                  <td>{formatTime(letter.firstAttemptAt)}</td>
                  <td>{formatTime(letter.deadAt)}</td>
                  <td className="mono truncate" title={letter.webhookId}>
                    {letter.webhookId}
                  </td>
                  <td>
                    {letter.redeliveryPending ? (
                      <Badge tone="info">redelivery queued</Badge>
                    ) : (
                      <button
                        type="button"
                        className="secondary small"
                        disabled={result.fetching}
                        aria-label={`Redeliver ${letter.upstreamId}`}
                        onClick={() => void send({ upstreamIds: [letter.upstreamId] }, `Redeliver ${letter.upstreamId}`)}
                      >
                        Redeliver
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
      <LogPager label="Dead letters" pageNumber={log.pageNumber} older={log.older} newer={log.newer} newest={log.newest} />
    </section>
  );
}
