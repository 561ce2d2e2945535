import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { navigate } from '../history-router.tsx';

export interface TabSpec { id: string; label: string; href: string }

/** ARIA tabs whose selection is the URL: arrow keys, Home and End move between them. */
export function Tabs({ tabs, selected, label }: { tabs: TabSpec[]; selected: string; label: string }) {
  const refs = useRef<(HTMLAnchorElement | null)[]>([]);
  const onKeyDown = (event: KeyboardEvent<HTMLAnchorElement>, index: number) => {
    const last = tabs.length - 1;
    const target = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const tab = tabs[target]!;
    navigate(tab.href);
    refs.current[target]?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((tab, index) => (
        <a
          key={tab.id}
          ref={(el) => {
            refs.current[index] = el;
          }}
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={tab.id === selected}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === selected ? 0 : -1}
          href={tab.href}
          onClick={(event) => {
            event.preventDefault();
            navigate(tab.href);
          }}
          onKeyDown={(event) => onKeyDown(event, index)}
        >
          {tab.label}
        </a>
      ))}
    </div>
  );
}

export function TabPanel({ id, children }: { id: string; children: ReactNode }) {
  return (
    <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} className="tabpanel">
      {children}
    </div>
  );
}
