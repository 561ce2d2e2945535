/**
 * The bytes one GraphQL request may answer in records, shared by all its fields (issue 21): 20
 * aliases of `records(first: 100)` share one SYNCLINE_MAX_ANSWER_BYTES instead of having 20.
 * Made per request by the context factory (src/http/server.ts).
 *
 * Sibling fields resolve concurrently, so the fields that read records take turns: each learns
 * what is left, reads, and deducts what it took before the next one starts.
 */
export class AnswerBudget {
  private left: number;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(readonly limit: number) {
    this.left = limit;
  }

  /**
   * Runs `read` with the bytes left (and whether none were spent yet: only then may a page go
   * over, with its first record), and deducts the bytes it reports.
   */
  take<T>(read: (left: number, untouched: boolean) => Promise<{ value: T; bytes: number }>): Promise<T> {
    const run = this.turn.then(async () => {
      const { value, bytes } = await read(this.left, this.left === this.limit);
      this.left -= bytes;
      return value;
    });
    this.turn = run.catch(() => undefined);
    return run;
  }
}
