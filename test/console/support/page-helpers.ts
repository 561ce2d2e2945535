import type { Locator, Page } from 'playwright-core';

/** Polls `read` until `accept` holds (the page updates itself: no reloads here). */
export async function waitUntil<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export async function numberIn(locator: Locator): Promise<number> {
  return Number((await locator.textContent())?.trim() ?? 'NaN');
}

/** Marks the window; `stillSamePage` is true while no navigation or reload has replaced it. */
export async function markWindow(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => {
    (window as unknown as { __synclineMark: boolean }).__synclineMark = true;
  });
  return () => page.evaluate(() => (window as unknown as { __synclineMark?: boolean }).__synclineMark === true);
}
