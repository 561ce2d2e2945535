import { useId } from 'react';
import { CopyButton } from './ui.tsx';

/** A titled, copyable code block; `data-snippet` names it for tests and scripts that run it. */
export function CodeSnippet({ title, name, code }: { title: string; name: string; code: string }) {
  const id = useId();
  return (
    <figure className="snippet" aria-labelledby={id}>
      <figcaption id={id}>
        <span>{title}</span>
        <CopyButton text={code} label={`Copy ${title}`} />
      </figcaption>
      <pre tabIndex={0} data-snippet={name}>
        <code>{code}</code>
      </pre>
    </figure>
  );
}
