import type { ReactNode } from 'react';
import { formatTime } from './ui.tsx';

/** One term of a `<dl className="facts">` settings list. */
export function Fact({ term, mono, children }: { term: string; mono?: boolean; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd className={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day${ms === 86_400_000 ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** What a push consumer reads and where it started: the same facts for every kind. */
export function SelectionFacts({ consumer }: { consumer: { syncId: string | null; collectionIds: string[] | null; deliverPolicy: string; optStartTime: string | null; optStartIdx: string | null; resetCount: number } }) {
  return (
    <>
      <Fact term="Sync" mono>
        {consumer.syncId ?? 'all syncs'}
      </Fact>
      <Fact term="Collections">{consumer.collectionIds?.join(', ') ?? 'all'}</Fact>
      <Fact term="Deliver policy">
        {consumer.deliverPolicy}
        {consumer.optStartTime ? ` (${formatTime(consumer.optStartTime)})` : ''}
        {consumer.optStartIdx ? ` (${consumer.optStartIdx})` : ''}
        {consumer.resetCount > 0 ? `, ${consumer.resetCount} reset${consumer.resetCount === 1 ? '' : 's'}` : ''}
      </Fact>
    </>
  );
}
