import type { ReactNode } from 'react';
import { CodeSnippet } from './CodeSnippet.tsx';

/** A signing secret the server answered this once: copy it now, it cannot be read again. */
export function SecretOnce({ title, secret, children }: { title: string; secret: string; children?: ReactNode }) {
  return (
    <section className="card secret-once" aria-labelledby="secret-once-title" data-testid="secret-once">
      <h2 id="secret-once-title">{title}</h2>
      <p className="warning" role="status">
        Shown once: copy it now. Syncline keeps only a hint of it (…{secret.slice(-4)}); if you lose it, rotate the secret.
      </p>
      <p className="hint">Your receiver verifies each delivery's webhook-signature with it (Standard Webhooks; e.g. the standardwebhooks or svix packages).</p>
      <CodeSnippet title="Signing secret" name="webhook-secret" code={secret} />
      {children}
    </section>
  );
}
