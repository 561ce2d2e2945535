import { useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { ServerErrorNote, fieldError, serverProblems } from './ServerError.tsx';
import { describeStartPosition, initialStartPosition, StartPositionFields, startPositionInput, type StartPositionValue } from './StartPositionFields.tsx';
import { ResetConsumerMutations, type ConsumerKind, type StartPosition } from '../graphql/operations.ts';

const TYPENAMES: Record<ConsumerKind, string> = { http: 'HttpConsumer', nats: 'NatsConsumer', webhook: 'WebhookConsumer', postgres: 'PostgresConsumer' };

/** Moves a consumer's start position back (a replay) or ahead (a skip), after a confirmation. */
export function ResetConsumer({ kind, consumerId }: { kind: ConsumerKind; consumerId: string }) {
  const [start, setStart] = useState<StartPositionValue>(initialStartPosition);
  const [refusal, setRefusal] = useState<CombinedError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [result, reset] = useMutation<unknown, { id: string; input: StartPosition }>(ResetConsumerMutations[kind]);
  const problems = serverProblems(refusal);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    setRefusal(null);
    const where = describeStartPosition(start);
    const replay = kind === 'http' ? 'Messages in flight are dropped; records after it are delivered again, those before it skipped.' : 'Records after it are delivered again, those before it skipped.';
    if (!window.confirm(`Reset this consumer to deliver ${where}? ${replay}`)) return;
    const answer = await reset({ id: consumerId, input: startPositionInput(start) }, { additionalTypenames: [TYPENAMES[kind]] });
    if (answer.error) setRefusal(answer.error);
    else setDone(`Reset: delivery starts again ${where}.`);
  };

  return (
    <section aria-labelledby="reset-title" className="card">
      <h2 id="reset-title">Reset position</h2>
      <p className="hint">Rewind to deliver records again (after a bug in your handler), or skip ahead. The filters stay as they are; the reset is kept in the consumer's history.</p>
      <form onSubmit={(e) => void submit(e)} aria-label="Reset position">
        <StartPositionFields
          value={start}
          onChange={setStart}
          label="Start again from"
          errorOf={(path) => fieldError(problems, path, path === 'deliverPolicy' ? ['invalid_start_position'] : [])}
        />
        <ServerErrorNote problems={problems} />
        {done ? (
          <p role="status" className="muted">
            {done}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className="secondary" disabled={result.fetching}>
            Reset consumer
          </button>
        </div>
      </form>
    </section>
  );
}
