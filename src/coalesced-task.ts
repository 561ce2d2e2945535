/**
 * Runs an async task one at a time: asking while it runs schedules exactly one more run after it,
 * however many times it is asked (bursts of change signals become one reconcile pass).
 */
export class CoalescedTask {
  private pending = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  request(): void {
    if (this.pending) return;
    this.pending = true;
    this.running = this.running
      .then(() => {
        this.pending = false;
        return this.task();
      })
      .catch(this.onError);
  }

  /** Resolves once the current and any requested run are over. */
  settled(): Promise<void> {
    return this.running.catch(() => undefined);
  }
}
