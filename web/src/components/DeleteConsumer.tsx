import { useMutation } from 'urql';
import { ErrorNote } from './ui.tsx';
import { DeleteConsumerMutations, type ConsumerKind } from '../graphql/operations.ts';

const WHAT_IS_DROPPED: Record<ConsumerKind, string> = {
  http: 'Its position and pending messages are dropped.',
  nats: 'Publishing stops; the messages already in JetStream stay.',
  webhook: 'Deliveries stop; its position, delivery log and dead letters are dropped.',
  postgres: 'Writes stop; the table and its rows stay in your database.',
};

export function DeleteConsumer({ kind, consumerId, onDeleted }: { kind: ConsumerKind; consumerId: string; onDeleted: () => void }) {
  const [result, remove] = useMutation(DeleteConsumerMutations[kind]);
  const confirmAndDelete = async () => {
    if (!window.confirm(`Delete this consumer? ${WHAT_IS_DROPPED[kind]}`)) return;
    const answer = await remove({ id: consumerId }, { additionalTypenames: ['HttpConsumer', 'NatsConsumer', 'WebhookConsumer', 'PostgresConsumer'] });
    if (!answer.error) onDeleted();
  };
  return (
    <div className="actions">
      <ErrorNote error={result.error} />
      <button type="button" className="secondary danger" onClick={() => void confirmAndDelete()}>
        Delete consumer
      </button>
    </div>
  );
}
