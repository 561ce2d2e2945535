import type { CombinedError } from 'urql';

/** What the server said about one refused operation: `extensions.code`, the message and per-field details. */
export interface ServerProblem {
  code: string | null;
  message: string;
  details: { path: string; message: string }[];
}

function isDetail(value: unknown): value is { path: string; message: string } {
  return typeof value === 'object' && value !== null && typeof (value as { path?: unknown }).path === 'string' && typeof (value as { message?: unknown }).message === 'string';
}

export function serverProblems(error: CombinedError | undefined | null): ServerProblem[] {
  if (!error) return [];
  if (error.graphQLErrors.length === 0) return [{ code: null, message: error.networkError?.message ?? error.message, details: [] }];
  return error.graphQLErrors.map((e) => {
    const code = typeof e.extensions?.code === 'string' ? e.extensions.code : null;
    const details = Array.isArray(e.extensions?.details) ? e.extensions.details.filter(isDetail) : [];
    return { code, message: e.message, details };
  });
}

/**
 * The server's message for the field at `path` (and below it: `connection` takes
 * `connection.host`), or the message of an error whose code names that field.
 */
export function fieldError(problems: ServerProblem[], path: string, codes: readonly string[] = []): string | undefined {
  const messages: string[] = [];
  for (const problem of problems) {
    for (const detail of problem.details) if (detail.path === path || detail.path.startsWith(`${path}.`)) messages.push(detail.message);
    if (problem.code && codes.includes(problem.code) && problem.details.length === 0) messages.push(problem.message);
  }
  return messages.length > 0 ? messages.join('; ') : undefined;
}

/** The refusal as the server gave it: code, message and each detail, as an alert. */
export function ServerErrorNote({ problems }: { problems: ServerProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <div role="alert" className="error" data-testid="server-error">
      {problems.map((problem, i) => (
        <div key={i}>
          {problem.code ? <strong className="mono">{problem.code}</strong> : null}
          {problem.code ? ': ' : null}
          {problem.message}
          {problem.details.length > 0 ? (
            <ul className="error-details">
              {problem.details.map((detail, j) => (
                <li key={j}>
                  <span className="mono">{detail.path || 'input'}</span>: {detail.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
}
