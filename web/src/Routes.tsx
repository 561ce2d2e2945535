import type { ConsumerKind } from './graphql/operations.ts';
import { match, type Location } from './history-router.tsx';
import { ApiTokensPage } from './pages/ApiTokens.tsx';
import { ConsumerPage } from './pages/ConsumerPage.tsx';
import { CreateConsumerPage } from './pages/CreateConsumer.tsx';
import { CreateSyncPage } from './pages/CreateSync.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { SettingsPage } from './pages/Settings.tsx';
import { StreamPage, type StreamTab } from './pages/StreamPage.tsx';
import { StreamsPage } from './pages/Streams.tsx';

/** The console's client routes (the server answers index.html for each). */
export function Routes({ location, token }: { location: Location; token: string }) {
  const { path, query } = location;
  if (path === '/' || path === '/streams' || path === '/sign-in') return <StreamsPage />;
  if (path === '/api-tokens') return <ApiTokensPage token={token} />;
  if (path === '/settings') return <SettingsPage />;
  let params = match('/streams/:streamId/syncs/new', path);
  if (params) return <CreateSyncPage streamId={params.streamId!} query={query} token={token} />;
  params = match('/streams/:streamId/consumers/new', path);
  if (params) return <CreateConsumerPage streamId={params.streamId!} />;
  params = match('/streams/:streamId/consumers/:kind/:consumerId', path);
  if (params && isConsumerKind(params.kind!)) return <ConsumerPage streamId={params.streamId!} kind={params.kind} consumerId={params.consumerId!} token={token} />;
  params = match('/streams/:streamId/:tab', path);
  if (params && isTab(params.tab!)) return <StreamPage streamId={params.streamId!} tab={params.tab} query={query} />;
  params = match('/streams/:streamId', path);
  if (params) return <StreamPage streamId={params.streamId!} tab="syncs" query={query} />;
  return <NotFound />;
}

function isConsumerKind(kind: string): kind is ConsumerKind {
  return kind === 'http' || kind === 'nats' || kind === 'webhook' || kind === 'postgres';
}

function isTab(tab: string): tab is StreamTab {
  return tab === 'syncs' || tab === 'records' || tab === 'consumers';
}
