import { useEffect } from 'react';
import type { OperationContext } from 'urql';

/** Re-runs a query every `ms` while the page is visible (pending counts have no subscription). */
export function usePolling(reexecute: (opts?: Partial<OperationContext>) => void, ms: number): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reexecute({ requestPolicy: 'network-only' });
    }, ms);
    return () => clearInterval(timer);
  }, [reexecute, ms]);
}
