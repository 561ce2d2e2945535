import { useEffect, useMemo, useRef, useState } from 'react';
import { Provider } from 'urql';
import { clearToken, loadToken, saveToken } from './auth.ts';
import { createConsoleClient, type ConsoleClient } from './graphql/client.ts';
import { Layout } from './Layout.tsx';
import { navigate, useLocation } from './history-router.tsx';
import { Routes } from './Routes.tsx';
import { SignIn } from './pages/SignIn.tsx';

/** Signed out: the sign-in page. Signed in: the console, over one GraphQL client that carries the token. */
export function App() {
  const [token, setToken] = useState<string | null>(loadToken);
  const [notice, setNotice] = useState<string | null>(null);
  const location = useLocation();
  const client = useMemo(
    () =>
      token
        ? createConsoleClient(token, () => {
            clearToken();
            setToken(null);
            setNotice('You were signed out: the server no longer accepts this token (revoked or unknown).');
          })
        : null,
    [token],
  );
  // Dispose the previous client when the token changes (not in an effect cleanup: StrictMode runs those on mount).
  const previous = useRef<ConsoleClient | null>(null);
  useEffect(() => {
    if (previous.current && previous.current !== client) previous.current.dispose();
    previous.current = client;
  }, [client]);

  if (!token || !client) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(value, remember) => {
          setNotice(null);
          saveToken(value, remember);
          setToken(value);
          if (location.path === '/' || location.path === '/sign-in') navigate('/streams', { replace: true });
        }}
      />
    );
  }
  const signOut = () => {
    clearToken();
    setToken(null);
    navigate('/sign-in', { replace: true });
  };
  return (
    <Provider value={client.urql}>
      <Layout path={location.path} onSignOut={signOut}>
        <Routes location={location} token={token} />
      </Layout>
    </Provider>
  );
}
