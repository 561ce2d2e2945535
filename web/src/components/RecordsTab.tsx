import { ScrollRegion } from './ScrollRegion.tsx';
import { useState, type FormEvent, type ReactNode } from 'react';
import { EmptyState, ErrorNote, Field, Loading } from './ui.tsx';
import type { SyncRecord } from '../graphql/operations.ts';
import { recordKey, useLiveRecords } from '../graphql/useLiveRecords.ts';
import { useStreamSyncs } from '../graphql/useStreamSyncs.ts';
import { navigate } from '../history-router.tsx';
import { RecordsPageRows } from './RecordsPageRows.tsx';
import { RecordColumns, RecordRow, syncNameOf } from './RecordRow.tsx';

const LIVE_KEEP = 100;
const LIVE_SHOWN = 20;

/**
 * Records of the stream, of all its syncs or of the one chosen: filter by collection, search by
 * upstream id, paged, live. The choices live in the URL (`?sync=&collection=&q=`; no `sync`: all).
 */
export function RecordsTab({ streamId, query }: { streamId: string; query: URLSearchParams }) {
  const { syncs, loading, error } = useStreamSyncs(streamId);
  if (loading) return <Loading what="syncs" />;
  if (error) return <ErrorNote error={error} />;
  if (syncs.length === 0) return <EmptyState title="No records yet">Create a sync first: its records show up here as they arrive.</EmptyState>;
  // A sync named in the URL that is gone (deleted) leaves all syncs shown.
  const sync = syncs.find((s) => s.uuid === query.get('sync')) ?? null;
  const collectionIds = sync ? sync.collectionIds : [...new Set(syncs.flatMap((s) => s.collectionIds))].sort();
  const syncNames = sync ? null : new Map(syncs.map((s) => [s.uuid, s.name]));
  const collectionId = query.get('collection') ?? '';
  const upstreamId = query.get('q') ?? '';
  const title = sync ? `Records of ${sync.name}` : 'Records of all syncs';

  const setFilter = (changes: Record<string, string>) => {
    const next = new URLSearchParams(query);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const search = next.toString();
    navigate(`/streams/${streamId}/records${search ? `?${search}` : ''}`, { replace: true });
  };

  return (
    <>
      <div className="section-head">
        <h2>Records</h2>
      </div>
      <div className="filters card" role="search" aria-label="Filter records">
        <Field label="Sync">
          {(id) => (
            <select id={id} value={sync?.uuid ?? ''} onChange={(e) => setFilter({ sync: e.target.value, collection: '', q: '' })}>
              <option value="">All syncs</option>
              {syncs.map((s) => (
                <option key={s.uuid} value={s.uuid}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Collection">
          {(id) => (
            <select id={id} value={collectionId} onChange={(e) => setFilter({ collection: e.target.value })}>
              <option value="">All collections</option>
              {collectionIds.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
        <UpstreamIdSearch key={upstreamId} initial={upstreamId} onSearch={(q) => setFilter({ q })} />
      </div>
      <LiveRecords
        key={`${sync?.uuid ?? 'all'}/${collectionId}`}
        streamId={streamId}
        syncId={sync?.uuid ?? null}
        collectionId={collectionId}
        upstreamId={upstreamId}
        syncNames={syncNames}
      >
        {(live) => (
          <ScrollRegion label={title}>
            <table className="table records">
              <caption className="visually-hidden">{title}</caption>
              <RecordColumns withSync={syncNames !== null} />
              <RecordsPageRows
                streamId={streamId}
                syncId={sync?.uuid ?? null}
                collectionId={collectionId || null}
                upstreamId={upstreamId || null}
                cursor={null}
                live={live}
                syncNames={syncNames}
              />
            </table>
          </ScrollRegion>
        )}
      </LiveRecords>
    </>
  );
}

function UpstreamIdSearch({ initial, onSearch }: { initial: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(text.trim());
  };
  return (
    <form className="row align-end" onSubmit={submit}>
      <Field label="Upstream id">{(id) => <input id={id} type="search" value={text} placeholder="cus_…" onChange={(e) => setText(e.target.value)} />}</Field>
      <button type="submit" className="secondary">
        Search
      </button>
    </form>
  );
}

/** recordChanged from now on: the newest versions first, and a lookup so older rows show the latest version. */
function LiveRecords({
  streamId,
  syncId,
  collectionId,
  upstreamId,
  syncNames,
  children,
}: {
  streamId: string;
  syncId: string | null;
  collectionId: string;
  upstreamId: string;
  syncNames: Map<string, string> | null;
  children: (live: Map<string, SyncRecord>) => ReactNode;
}) {
  const { records, received, error } = useLiveRecords(streamId, syncId, collectionId || null, LIVE_KEEP);
  const changes = records.filter((r) => !upstreamId || r.upstreamId === upstreamId);
  const shown = Math.min(changes.length, LIVE_SHOWN);
  const live = new Map(changes.map((r) => [recordKey(r), r]));
  return (
    <>
      <section aria-labelledby="live-title" className="live">
        <h3 id="live-title">
          <span className="pulse" aria-hidden="true" /> Live changes
        </h3>
        <p className="muted" role="status" aria-live="polite">
          {changes.length === 0
            ? 'Waiting for changes…'
            : `${received} change${received === 1 ? '' : 's'} since you opened this page${upstreamId ? '' : `; the latest ${shown} record${shown === 1 ? '' : 's'} below`}`}
        </p>
        <ErrorNote error={error} />
        {changes.length > 0 ? (
          <ScrollRegion label="Records changed live">
          <table className="table records">
            <caption className="visually-hidden">Records changed live</caption>
            <tbody data-testid="live-records">
              {changes.slice(0, LIVE_SHOWN).map((record) => (
                <RecordRow key={recordKey(record)} record={record} isNew syncName={syncNames ? syncNameOf(syncNames, record.syncId) : null} />
              ))}
            </tbody>
          </table>
          </ScrollRegion>
        ) : null}
      </section>
      {children(live)}
    </>
  );
}
