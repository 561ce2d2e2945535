import { useEffect } from 'react';
import type { OperationContext } from 'urql';

/**
 * Re-runs a query every `ms` while the page is visible, and at once when it becomes visible again
 * (for what has no subscription: pending counts, the list of a stream's syncs).
 */
export function usePolling(reexecute: (opts?: Partial<OperationContext>) => void, ms: number): void {
  useEffect(() => {
    const refresh = () => reexecute({ requestPolicy: 'network-only' });
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, ms);
    const onVisibilityChange = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', onVisibilityChange);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibilityChange);
    };
  }, [reexecute, ms]);
}
