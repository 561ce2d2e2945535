import type { AppContext } from '../../app-context.ts';

/** Resolves when the live bus announces records in `streamId`, or after `ms`, whichever is first. */
export function waitForRecords(ctx: Pick<AppContext, 'bus'>, streamId: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, Math.max(ms, 0));
    const off = ctx.bus.on('records', (message) => {
      if (message.streamId === streamId) done();
    });
  });
}
