import type { ReactNode } from 'react';
import { useQuery } from 'urql';
import { ViewerQuery, type ViewerData } from './graphql/operations.ts';
import { Link } from './history-router.tsx';

/** Header with navigation and the signed-in account; the page below. */
export function Layout({ path, onSignOut, children }: { path: string; onSignOut: () => void; children: ReactNode }) {
  const [{ data }] = useQuery<ViewerData>({ query: ViewerQuery });
  const current = (prefix: string) => (path.startsWith(prefix) ? 'page' : undefined);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/streams" className="brand">
          Syncline
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link to="/streams" aria-current={current('/streams')}>
                Streams
              </Link>
            </li>
            <li>
              <Link to="/api-tokens" aria-current={current('/api-tokens')}>
                API tokens
              </Link>
            </li>
            <li>
              <Link to="/settings" aria-current={current('/settings')}>
                Settings
              </Link>
            </li>
          </ul>
        </nav>
        <div className="account">
          {data ? <span className="muted">{data.viewer.account.name}</span> : null}
          <button type="button" className="secondary small" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
