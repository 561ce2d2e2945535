import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient } from '../support/api.ts';
import { addStream, connectNats, deleteStream, SHARED_NATS, streamMessageCount, uniqueName } from '../support/nats.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { accessibilityViolations, type AxeViolation } from './support/accessibility.ts';
import { collectPageProblems, launchBrowser, screenshot as saveScreenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/build-console.ts';
import { markWindow, numberIn, waitUntil } from './support/page-helpers.ts';

const run = promisify(execFile);

/**
 * The seed's getting-started, clicked through the console in Debian's Chromium: sign in → create a
 * stream → add a Stripe credential pointing at the emulator → create a sync → records arrive live →
 * create a consumer → run the /next snippet the page shows → the pending counts move.
 */
describe('web console: getting started', { timeout: 120_000 }, () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  const scratch = mkdtempSync(join(tmpdir(), 'syncline-console-'));

  beforeAll(async () => {
    const built = ensureConsoleBuilt();
    [emulator, server] = await Promise.all([
      startStripeEmulator({ seed: { customer: 40, product: 12 }, randomSeed: 7 }),
      // Upstream changes must show within the test's waits: polls every 0.5 s, under the default 1 s minimum.
      startTestServer({ LOG_LEVEL: 'warn', SYNCLINE_MIN_POLL_INTERVAL_MS: '100' }),
    ]);
    await built;
    ({ browser, close: closeBrowser } = await launchBrowser());
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: server.url });
    page = await context.newPage();
    problems = collectPageProblems(page);
  }, 120_000);

  afterAll(async () => {
    if (problems?.length) console.warn(`browser problems:\n${problems.join('\n')}`);
    await context?.close();
    await closeBrowser?.();
    await server?.stop();
    await emulator?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Every page the walk screenshots is also checked with axe-core; the last test asserts none failed. */
  const violations: { page: string; violation: AxeViolation }[] = [];
  async function screenshot(target: Page, name: string, options: { fullPage?: boolean } = {}) {
    await saveScreenshot(target, name, options);
    for (const violation of await accessibilityViolations(target)) violations.push({ page: name, violation });
  }

  afterEach(async (test) => {
    if (test.task.result?.state !== 'fail') return;
    for (const [i, open] of context.pages().entries()) await saveScreenshot(open, `failed-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}-${i}`).catch(() => undefined);
    for (const extra of browser.contexts().filter((c) => c !== context)) for (const open of extra.pages()) await saveScreenshot(open, `failed-other-context`).catch(() => undefined);
    console.warn(`browser problems so far:\n${problems.join('\n')}`);
  });

  let streamPath = '';
  let consumerUrl = '';

  it('signs in with an API token', async () => {
    // The console runs under its Content-Security-Policy: any violation is a page problem (checked below).
    const answer = await page.goto('/');
    expect(answer?.headers()['content-security-policy']).toContain("connect-src 'self'");
    await page.getByRole('heading', { name: 'Sign in to Syncline' }).waitFor();
    await screenshot(page, '01-sign-in');
    await page.getByLabel('API token').fill('syn_not_a_token_at_all_0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
    await page.getByLabel('API token').fill(ROOT_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome to Syncline' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/streams');
    expect(await page.evaluate(() => sessionStorage.getItem('syncline.token'))).toBe(ROOT_TOKEN);
    await screenshot(page, '02-streams-empty');
  });

  it('creates the stream dev', async () => {
    await page.getByRole('button', { name: 'Create your first stream' }).click();
    await page.getByLabel('Stream name').fill('dev');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'dev', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'No syncs yet' }).waitFor();
    streamPath = new URL(page.url()).pathname.replace(/\/syncs$/, '');
    expect(streamPath).toMatch(/^\/streams\/[0-9a-f-]{36}$/);
    expect(await page.getByRole('tab', { name: 'Syncs' }).getAttribute('aria-selected')).toBe('true');
    await screenshot(page, '03-stream-empty');
  });

  it('creates a Stripe sync with a new credential pointing at the emulator; its status goes live', async () => {
    await page.getByRole('link', { name: 'Create sync' }).click();
    await page.getByLabel('Provider').selectOption('stripe');
    await page.getByRole('button', { name: '+ Add new' }).click();
    await page.getByLabel('Credential name').fill('emulator');
    await page.getByLabel('Access token / API key').fill(emulator.apiKey);
    await page.getByLabel('API base URL (optional)').fill(emulator.url);
    await page.getByRole('button', { name: 'Save credential' }).click();
    await waitUntil(() => page.getByLabel('Credential', { exact: true }).inputValue(), (v) => /^[0-9a-f-]{36}$/.test(v), 10_000, 'the new credential to be selected');
    await page.getByRole('checkbox', { name: /stripe:customer/ }).check();
    await page.getByRole('checkbox', { name: /stripe:product/ }).check();
    await page.getByLabel('Sync name').fill('Stripe emulator');
    await page.getByLabel('Allowed requests').fill('100');
    await page.getByLabel('Poll interval (seconds)').fill('0.5');
    await screenshot(page, '04-create-sync');

    const sameWindow = await markWindow(page);
    await page.getByRole('button', { name: 'Start syncing' }).click();
    await page.waitForURL(`**${streamPath}/syncs`);
    const card = page.getByRole('article', { name: 'Stripe emulator' });
    await card.waitFor();
    // Backfill progress arrives over syncStatusChanged: the page is never reloaded.
    await waitUntil(() => card.locator('tr[data-collection="stripe:customer"] [data-testid=collection-records]').textContent(), (t) => t === '40', 30_000, 'customers to be counted');
    await waitUntil(() => card.getByTestId('sync-state').textContent(), (t) => t === 'active', 30_000, 'the sync to be active');
    expect(await card.getByRole('progressbar', { name: 'Backfill of stripe:product' }).getAttribute('aria-valuenow')).toBe('100');
    expect(await sameWindow()).toBe(true);
    await screenshot(page, '05-syncs');
  });

  it('browses records (filter, search, expand) and shows upstream changes live, without a reload', async () => {
    await page.getByRole('tab', { name: 'Records' }).click();
    const rows = page.getByTestId('records-page').locator('tr[data-upstream-id]');
    await waitUntil(() => rows.count(), (n) => n === 50, 15_000, 'the first page of 50 records');
    await page.getByRole('button', { name: 'Load more records' }).waitFor();

    await page.getByLabel('Collection').selectOption('stripe:product');
    await waitUntil(() => rows.count(), (n) => n === 12, 10_000, 'the 12 products');
    const product = emulator.objects('product')[3]!;
    await page.getByLabel('Upstream id').fill(String(product.id));
    await page.getByRole('button', { name: 'Search' }).click();
    await waitUntil(() => rows.count(), (n) => n === 1, 10_000, 'the one product searched for');
    await page.getByRole('button', { name: String(product.id) }).click();
    const json = page.getByLabel(`Data of ${String(product.id)}`);
    expect(JSON.parse((await json.textContent()) ?? '')).toEqual(product);
    await screenshot(page, '06-record-expanded', { fullPage: false });

    await page.getByLabel('Upstream id').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByLabel('Collection').selectOption('');
    await waitUntil(() => rows.count(), (n) => n === 50, 10_000, 'all collections again');

    const sameWindow = await markWindow(page);
    const changes = emulator.mutateRandomly(6, ['customer']);
    const changedIds = [...changes.created, ...changes.updated, ...changes.deleted];
    const live = page.getByTestId('live-records');
    await waitUntil(
      async () => (await live.locator('tr[data-upstream-id]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-upstream-id')))).sort(),
      (ids) => changedIds.every((id) => ids.includes(id)),
      20_000,
      `the changed customers ${changedIds.join(', ')} to show up live`,
    );
    expect(await sameWindow()).toBe(true);
    await page.getByRole('status').filter({ hasText: /\d+ changes? since you opened this page/ }).waitFor();
    await screenshot(page, '07-records-live', { fullPage: false });
  });

  it('creates an HTTP consumer; running the shown /next snippets moves its pending counts', async () => {
    await page.getByRole('tab', { name: 'Consumers' }).click();
    await page.getByRole('heading', { name: 'No consumers yet' }).waitFor();
    await page.getByRole('link', { name: 'Create consumer' }).click();
    await page.getByLabel('Consumer name').fill('app');
    expect(await page.getByLabel('Deliver policy').inputValue()).toBe('all');
    expect(await page.getByLabel('Ack wait (seconds)').inputValue()).toBe('60');
    expect(await page.getByLabel('Max deliveries').inputValue()).toBe('-1');
    await screenshot(page, '08-create-consumer');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'app', level: 1 }).waitFor();
    consumerUrl = page.url();

    const pending = page.getByTestId('num-pending');
    const ackPending = page.getByTestId('num-ack-pending');
    const before = await waitUntil(() => numberIn(pending), (n) => n >= 50, 15_000, 'every record to be pending');
    expect(await numberIn(ackPending)).toBe(0);
    const sameWindow = await markWindow(page);

    // The curl snippet, exactly as shown (token and consumer id included).
    const curl = (await page.locator('pre[data-snippet="curl-next"]').textContent()) ?? '';
    expect(curl).toContain(ROOT_TOKEN);
    const { stdout } = await run('bash', ['-c', curl], { timeout: 20_000 });
    const batch = JSON.parse(stdout) as { ack_token: string; record: { upstream_id: string } }[];
    expect(batch).toHaveLength(10);
    await waitUntil(
      async () => [await numberIn(pending), await numberIn(ackPending)],
      ([p, a]) => p === before - 10 && a === 10,
      10_000,
      'num pending to drop by the batch and num ack pending to show it',
    );
    await screenshot(page, '09-consumer');

    // The Node snippet takes the next batch and acks it.
    const script = join(scratch, 'consume.mjs');
    writeFileSync(script, (await page.locator('pre[data-snippet="node-next-ack"]').textContent()) ?? '');
    const node = await run(process.execPath, [script], { timeout: 20_000 });
    expect(node.stdout).toContain('acked 10');
    // Between the script's /next and its /ack a refresh may show 20 leased: wait for the acked state.
    await waitUntil(
      async () => [await numberIn(pending), await numberIn(ackPending)],
      ([p, a]) => p === before - 20 && a === 10,
      10_000,
      'num pending to drop by the second batch, num ack pending back to the first',
    );
    expect(await sameWindow()).toBe(true);

    await page.getByRole('link', { name: 'Consumers' }).click();
    const row = page.getByRole('row', { name: /app/ });
    await waitUntil(() => row.textContent(), (t) => (t ?? '').includes(String(before - 20)), 10_000, 'the consumer list to show the pending count');
  });

  it('creates a NATS consumer that publishes the stream to JetStream', async () => {
    const nc = await connectNats(SHARED_NATS);
    const jsName = uniqueName('CONSOLE');
    const prefix = uniqueName('console-records');
    try {
      await addStream(nc, jsName, prefix, { latestOnly: true });
      await page.goto(`${streamPath}/consumers/new`);
      await page.getByLabel('NATS JetStream').check();
      await page.getByLabel('Consumer name').fill('to-nats');
      await page.getByLabel('NATS host').fill(SHARED_NATS.host);
      await page.getByLabel('NATS port').fill(String(SHARED_NATS.port));
      await page.getByLabel('Subject prefix').fill(prefix);
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('heading', { name: 'to-nats', level: 1 }).waitFor();
      const records = emulator.objects('customer').length + emulator.objects('product').length;
      await waitUntil(() => streamMessageCount(nc, jsName), (n) => n >= records, 20_000, 'JetStream to hold a message per record');
      await waitUntil(() => numberIn(page.getByTestId('nats-lag')), (n) => n === 0, 10_000, 'the lag shown to reach 0');
      expect(await page.locator('pre[data-snippet="nats-cli"]').textContent()).toContain(`"${prefix}.>"`);
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Delete consumer' }).click();
      await page.waitForURL(`**${streamPath}/consumers`);
      await page.getByRole('link', { name: 'app' }).waitFor();
      expect(await page.getByRole('link', { name: 'to-nats' }).count()).toBe(0);
    } finally {
      await deleteStream(nc, jsName);
      await nc.close();
    }
  });

  it('creates and revokes API tokens', async () => {
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Token name').fill('ci');
    await page.getByRole('button', { name: 'Create API token' }).click();
    const issued = (await page.locator('pre[data-snippet="issued-token"]').textContent()) ?? '';
    expect(issued).toMatch(/^syn_/);
    const me = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issued}` },
      body: JSON.stringify({ query: '{ viewer { account { name } } }' }),
    }).then((r) => r.json() as Promise<{ data: { viewer: { account: { name: string } } } }>);
    expect(me.data.viewer.account.name).toBeTruthy();
    await page.getByRole('row', { name: /ci/ }).getByText('active').waitFor();
    await screenshot(page, '10-api-tokens');

    // Another browser signed in with the new token is signed out once it is revoked.
    const other = await browser.newContext({ baseURL: server.url });
    try {
      const ciPage = await other.newPage();
      await ciPage.goto('/');
      await ciPage.getByLabel('API token').fill(issued);
      await ciPage.getByRole('button', { name: 'Sign in' }).click();
      await ciPage.getByRole('heading', { name: 'Streams' }).waitFor();

      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Revoke ci' }).click();
      await page.getByRole('row', { name: /ci/ }).getByText(/revoked/).waitFor();

      await ciPage.getByRole('link', { name: 'API tokens' }).click();
      await ciPage.getByRole('alert').filter({ hasText: 'You were signed out' }).waitFor();
      await ciPage.getByRole('heading', { name: 'Sign in to Syncline' }).waitFor();
      expect(await ciPage.evaluate(() => sessionStorage.getItem('syncline.token'))).toBeNull();
    } finally {
      await other.close();
    }
  });

  it('keeps working on a phone-sized screen, and deep links load through the SPA fallback', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 800 }, baseURL: server.url, isMobile: true });
    try {
      const small = await phone.newPage();
      await small.goto('/');
      await small.getByLabel('API token').fill(ROOT_TOKEN);
      await small.getByRole('button', { name: 'Sign in' }).click();
      await small.getByRole('link', { name: /dev/ }).waitFor();
      await small.goto(consumerUrl);
      await small.getByRole('heading', { name: 'app', level: 1 }).waitFor();
      const width = await small.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(390);
      await screenshot(small, '11-consumer-phone');
      await small.goto(`${streamPath}/syncs`);
      await small.getByRole('article', { name: 'Stripe emulator' }).waitFor();
      await screenshot(small, '12-syncs-phone');
    } catch (error) {
      for (const open of phone.pages()) await saveScreenshot(open, 'failed-phone').catch(() => undefined);
      throw error;
    } finally {
      await phone.close();
    }
  });

  it('moves between stream tabs with the keyboard', async () => {
    await page.goto(`${streamPath}/syncs`);
    await page.getByRole('tab', { name: 'Syncs' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Records', selected: true }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Records');
    await page.keyboard.press('End');
    await page.getByRole('tab', { name: 'Consumers', selected: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${streamPath}/consumers`);
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    expect(problems.filter((p) => p.includes('Content Security Policy'))).toEqual([]);
  });

  it("shows a sync's upstream error live on the syncs tab", async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    await page.goto(`${streamPath}/syncs`);
    await page.getByRole('article', { name: 'Stripe emulator' }).waitFor();
    const sameWindow = await markWindow(page);
    const created = await api.post('/v1/syncs', {
      provider: 'stripe',
      name: 'Wrong key',
      stream_id: streamPath.split('/').pop(),
      collection_ids: ['stripe:customer'],
      credential: { properties: { kind: 'stripe', name: 'wrong', secret: 'sk_test_wrong', api_base_url: emulator.url } },
      rate_limit: { allowed_requests: 10, interval: 1, max_concurrent_requests: 1 },
    });
    expect(created.status).toBe(201);
    // No reload: the list of syncs follows syncs created elsewhere, and the new card's status is live.
    const card = page.getByRole('article', { name: 'Wrong key' });
    await waitUntil(() => card.getByTestId('sync-state').textContent(), (t) => t === 'error', 20_000, 'the sync to fail');
    await card.getByRole('alert').filter({ hasText: 'upstream_auth_failed' }).waitFor();
    await screenshot(page, '14-sync-error', { fullPage: false });
    page.once('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: 'Delete sync Wrong key' }).click();
    await waitUntil(() => card.count(), (n) => n === 0, 10_000, 'the deleted sync to leave the list');
    expect(await sameWindow()).toBe(true);
  });

  it('has no serious or critical axe-core violations on the pages it visited', () => {
    expect(violations).toEqual([]);
  });
});
