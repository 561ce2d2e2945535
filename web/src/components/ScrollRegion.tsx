import type { ReactNode } from 'react';

/** A wide table's container: scrolls sideways on small screens, reachable by keyboard, named for screen readers. */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="scroll-region" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
