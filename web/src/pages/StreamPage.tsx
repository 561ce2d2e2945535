import { useQuery } from 'urql';
import { TabPanel, Tabs } from '../components/Tabs.tsx';
import { ErrorNote, Loading } from '../components/ui.tsx';
import { StreamQuery, type StreamData } from '../graphql/operations.ts';
import { Link } from '../history-router.tsx';
import { ConsumersTab } from '../components/ConsumersTab.tsx';
import { RecordsTab } from '../components/RecordsTab.tsx';
import { SyncsTab } from '../components/SyncsTab.tsx';

export type StreamTab = 'syncs' | 'records' | 'consumers';

export function StreamPage({ streamId, tab, query }: { streamId: string; tab: StreamTab; query: URLSearchParams }) {
  const [{ data, fetching, error }] = useQuery<StreamData>({ query: StreamQuery, variables: { id: streamId } });
  if (fetching && !data) return <Loading what="stream" />;
  if (error) return <ErrorNote error={error} />;
  const stream = data?.stream;
  if (!stream) return <ErrorNote error={`No stream ${streamId}`} />;
  const base = `/streams/${stream.uuid}`;
  return (
    <section className="page" aria-labelledby="stream-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/streams">Streams</Link> / <span aria-current="page">{stream.name}</span>
      </nav>
      <div className="page-head">
        <h1 id="stream-title">{stream.name}</h1>
        <span className="muted mono">{stream.uuid}</span>
      </div>
      <Tabs
        label="Stream sections"
        selected={tab}
        tabs={[
          { id: 'syncs', label: 'Syncs', href: `${base}/syncs` },
          { id: 'records', label: 'Records', href: `${base}/records` },
          { id: 'consumers', label: 'Consumers', href: `${base}/consumers` },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'syncs' ? <SyncsTab streamId={stream.uuid} /> : null}
        {tab === 'records' ? <RecordsTab streamId={stream.uuid} query={query} /> : null}
        {tab === 'consumers' ? <ConsumersTab streamId={stream.uuid} /> : null}
      </TabPanel>
    </section>
  );
}
