import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { allRecords } from '../support/records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitForBackfill } from '../support/stripe-sync.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { accessibilityViolations, type AxeViolation } from './support/accessibility.ts';
import { collectPageProblems, launchBrowser, screenshot as saveScreenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/build-console.ts';
import { markWindow, numberIn, waitUntil } from './support/page-helpers.ts';

const CUSTOMERS = 7;

/**
 * Webhook and PostgreSQL consumers through the console in Debian's Chromium: create them with the
 * forms (the webhook's secret shown once), watch records arrive at a receiver and in a table, the
 * status and the delivery log update without a reload; dead letters of a refusing endpoint
 * redelivered from the page; rotate and reset; the server's validation errors shown inline.
 */
describe('web console: webhook and PostgreSQL consumers', { timeout: 180_000 }, () => {
  let server: TestServer;
  let stripe: StripeEmulator;
  let api: RestClient;
  let gql: ReturnType<typeof graphqlClient>;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let streamId: string;
  let syncId: string;
  const receiver = new WebhookReceiver();
  const fixedReceiver = new WebhookReceiver();
  let target: TestDatabase | undefined;
  let webhookPath = '';
  let secret = '';

  beforeAll(async () => {
    const built = ensureConsoleBuilt();
    [stripe, server, target] = await Promise.all([
      startStripeEmulator({ seed: { customer: CUSTOMERS }, randomSeed: 23 }),
      startTestServer({ LOG_LEVEL: 'warn', SYNCLINE_MIN_POLL_INTERVAL_MS: '100' }),
      createTestDatabase(),
      receiver.start(),
      fixedReceiver.start(),
    ]);
    api = restClient(server.url, ROOT_TOKEN);
    gql = graphqlClient(server.url, ROOT_TOKEN);
    streamId = (await api.post('/v1/streams', { name: 'push' })).body.id;
    const sync = await api.post('/v1/syncs', {
      provider: 'stripe',
      name: 'Billing',
      stream_id: streamId,
      collection_ids: ['stripe:customer'],
      credential: { properties: { kind: 'stripe', secret: stripe.apiKey, api_base_url: stripe.url } },
      poll_interval_ms: 500,
    });
    expect(sync.status).toBe(201);
    syncId = sync.body.id;
    await waitForBackfill(api, syncId, 30_000);
    await built;
    ({ browser, close: closeBrowser } = await launchBrowser());
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await context.addInitScript((token) => sessionStorage.setItem('syncline.token', token), ROOT_TOKEN);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    problems = collectPageProblems(page);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await closeBrowser?.();
    await server?.stop();
    await stripe?.close();
    await Promise.all([receiver.close(), fixedReceiver.close()]);
    await target?.drop();
  });

  const violations: { page: string; violation: AxeViolation }[] = [];
  async function screenshot(name: string, options: { fullPage?: boolean } = {}) {
    await saveScreenshot(page, name, options);
    for (const violation of await accessibilityViolations(page)) violations.push({ page: name, violation });
  }

  afterEach(async (test) => {
    if (test.task.result?.state !== 'fail') return;
    await saveScreenshot(page, `failed-push-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
    console.warn(`browser problems so far:\n${problems.join('\n')}`);
  });

  const liveKeys = async () => new Set((await allRecords(api, syncId)).map((r) => r.upstream_id));
  const deliveredIds = (from = 0) => new Set(receiver.delivered.slice(from).flatMap((d) => d.records.map((r) => r.upstream_id)));
  const logRows = () => page.getByTestId('delivery-log').locator('tbody tr');
  const logStatuses = () => logRows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));

  it('refuses bad webhook settings with the server’s code, next to the field', async () => {
    await page.goto(`/streams/${streamId}/consumers`);
    await page.getByRole('heading', { name: 'No consumers yet' }).waitFor();
    await page.getByRole('link', { name: 'Create consumer' }).click();
    await page.getByRole('radio', { name: /Webhook/ }).check();
    await page.getByLabel('Consumer name').fill('to-hook');
    await page.getByLabel('Endpoint URL').fill('ftp://127.0.0.1/hook');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = page.getByTestId('server-error');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('unsupported_url_scheme');
    expect(await page.getByLabel('Endpoint URL').getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await page.getByLabel('Endpoint URL').getAttribute('aria-describedby')) ?? '';
    const fieldMessage = await page.locator(`[id="${describedBy.split(' ').at(-1)}"]`).textContent();
    expect(fieldMessage?.length).toBeGreaterThan(0);
    await screenshot('30-webhook-form-refused', { fullPage: false });
  });

  it('creates a webhook consumer with the form, shows its secret once, and delivers every record', async () => {
    // Until the secret is known the receiver answers 500: every delivery it accepts is verified.
    await receiver.setMode('fail500');
    await page.getByLabel('Sync', { exact: true }).selectOption({ label: 'Billing' });
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Batch size').fill('2');
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header 1 name').fill('x-receiver-token');
    await page.getByLabel('Header 1 value').fill('token-for-the-receiver');
    expect(await page.getByLabel('Max deliveries').inputValue()).toBe('-1');
    expect(await page.getByLabel('Retry window (hours)').inputValue()).toBe('24');
    await screenshot('31-webhook-form');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    const once = page.getByTestId('secret-once');
    await once.waitFor();
    expect(await once.textContent()).toContain('Shown once');
    secret = ((await page.locator('pre[data-snippet="webhook-secret"]').textContent()) ?? '').trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    await page.getByRole('button', { name: 'Copy Signing secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await once.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    await screenshot('32-webhook-secret-once', { fullPage: false });
    receiver.verifyWith(secret);
    // The runner has started (within a second or so) and met the 500: the log will show it.
    await waitUntil(async () => receiver.refusedAnswers, (n) => n > 0, 10_000, 'a first attempt, refused');
    await receiver.setMode('ok');

    await page.getByRole('button', { name: /go to the consumer/ }).click();
    await page.getByRole('heading', { name: 'to-hook', level: 1 }).waitFor();
    webhookPath = new URL(page.url()).pathname;
    expect(webhookPath).toMatch(new RegExp(`^/streams/${streamId}/consumers/webhook/[0-9a-f-]{36}$`));
    const sameWindow = await markWindow(page);

    const keys = await liveKeys();
    await waitUntil(async () => deliveredIds(), (ids) => [...keys].every((k) => ids.has(k)), 30_000, 'every record to reach the receiver');
    expect(receiver.badSignatures).toEqual([]);
    await waitUntil(() => numberIn(page.getByTestId('push-lag')), (n) => n === 0, 15_000, 'the lag shown to reach 0');
    await waitUntil(() => page.getByTestId('push-state').first().getAttribute('data-state'), (s) => s === 'connected', 15_000, 'the state to be connected');
    expect(await page.getByTestId('push-last-delivered').locator('time').count()).toBe(1);
    // The log shows the refused attempts (500, with the receiver's answer) and the delivered ones.
    await waitUntil(logStatuses, (s) => s.includes('204') && s.includes('500'), 10_000, 'the delivery log to show 500s and 204s');
    await page.getByTestId('delivery-log').getByText('receiver down for maintenance').first().waitFor();
    // The secret is never shown again: a hint only.
    expect(await page.getByTestId('secret-hint').textContent()).toBe(`…${secret.slice(-4)}`);
    expect(await page.content()).not.toContain(secret);
    expect(await page.getByText('x-receiver-token').count()).toBeGreaterThan(0);
    expect(await page.content()).not.toContain('token-for-the-receiver');
    expect(await sameWindow()).toBe(true);
    await screenshot('33-webhook-consumer', { fullPage: false });

    await page.getByRole('link', { name: 'Consumers', exact: true }).click();
    const row = page.getByRole('row', { name: /to-hook/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('Webhook');
    expect(await row.getByTestId('consumer-lag').textContent()).toBe('0');
    expect(await row.getByTestId('push-state').getAttribute('data-state')).toBe('connected');
  });

  it('rotates the secret (shown once) and resets the position to deliver everything again', async () => {
    await page.goto(webhookPath);
    await page.getByRole('heading', { name: 'to-hook', level: 1 }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.locator('section[aria-labelledby="rotate-title"] pre[data-snippet="webhook-secret"]');
    await rotated.waitFor();
    const next = ((await rotated.textContent()) ?? '').trim();
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    await waitUntil(() => page.getByTestId('secret-hint').textContent(), (t) => t === `…${next.slice(-4)}`, 5_000, 'the hint of the new secret');
    receiver.verifyWith(next);

    // Changes upstream arrive signed with the new secret (the receiver now accepts no other). The
    // runner takes the rotation up within about a second: an attempt before it, signed with the
    // old secret only, is refused here and sent again.
    const from = receiver.delivered.length;
    const changes = stripe.mutateRandomly(3, ['customer']);
    const changed = [...changes.created, ...changes.updated, ...changes.deleted];
    await waitUntil(async () => deliveredIds(from), (ids) => changed.every((id) => ids.has(id)), 30_000, 'the upstream changes to reach the receiver');
    receiver.badSignatures.length = 0;

    // Reset to "all": every record is delivered again.
    const beforeReset = receiver.delivered.length;
    await page.getByLabel('Start again from').selectOption('all');
    page.once('dialog', (dialog) => {
      expect(dialog.message()).toContain('from the beginning of the stream');
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Reset consumer' }).click();
    await page.getByRole('status').filter({ hasText: 'Reset: delivery starts again' }).waitFor();
    const keys = await liveKeys();
    await waitUntil(async () => deliveredIds(beforeReset), (ids) => [...keys].every((k) => ids.has(k)), 30_000, 'every record to be delivered again after the reset');
    await waitUntil(() => numberIn(page.getByTestId('push-lag')), (n) => n === 0, 15_000, 'the lag to be 0 again');
    expect(receiver.badSignatures).toEqual([]);
  });

  it('dead-letters what an endpoint refuses with 400 at max_deliver 1, and redelivers from the page', async () => {
    // The endpoint has a bug: it refuses every delivery with 400, which counts toward max_deliver.
    await fixedReceiver.setMode('fail400');
    const created = await gql(
      `mutation($input: WebhookConsumerInput!) { createWebhookConsumer(input: $input) { secret webhookConsumer { uuid } } }`,
      { input: { name: 'refused', syncId, url: fixedReceiver.url, batchSize: 3, maxDeliver: 1 } },
    );
    expect(created.errors).toBeUndefined();
    const { secret: refusedSecret, webhookConsumer } = created.data.createWebhookConsumer;
    fixedReceiver.verifyWith(refusedSecret);
    const keys = await liveKeys();
    await page.goto(`/streams/${streamId}/consumers/webhook/${webhookConsumer.uuid}`);
    await page.getByRole('heading', { name: 'refused', level: 1 }).waitFor();
    const sameWindow = await markWindow(page);

    const deadRows = page.getByTestId('dead-letters').locator('tbody tr');
    const deadIds = () => deadRows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-upstream-id') ?? ''));
    await waitUntil(deadIds, (ids) => ids.length === keys.size, 30_000, 'every record to become a dead letter');
    expect(new Set(await deadIds())).toEqual(keys);
    // Delivery went on behind them: nothing is left to deliver.
    await waitUntil(() => numberIn(page.getByTestId('push-lag')), (n) => n === 0, 15_000, 'the lag to be 0 behind the dead letters');
    await waitUntil(logStatuses, (s) => s.length > 0 && s.every((x) => x === '400'), 10_000, 'the log to show the 400s');
    await page.getByTestId('delivery-log').getByText('unexpected payload').first().waitFor();
    await screenshot('34-webhook-dead-letters');
    expect(fixedReceiver.delivered).toEqual([]);

    // The endpoint is fixed: one record first, then the rest.
    await fixedReceiver.setMode('ok');
    const [first] = await deadIds();
    await page.getByRole('button', { name: `Redeliver ${first}`, exact: true }).click();
    await page.getByRole('status').filter({ hasText: '1 record queued for redelivery' }).waitFor();
    await waitUntil(async () => fixedReceiver.delivered.flatMap((d) => d.records.map((r) => r.upstream_id)), (ids) => ids.includes(first!), 15_000, 'the one record redelivered');
    await waitUntil(deadIds, (ids) => ids.length === keys.size - 1 && !ids.includes(first!), 10_000, 'its dead letter to go');

    await page.getByRole('button', { name: 'Redeliver all' }).click();
    await page.getByRole('status').filter({ hasText: `${keys.size - 1} records queued for redelivery` }).waitFor();
    await waitUntil(async () => new Set(fixedReceiver.delivered.flatMap((d) => d.records.map((r) => r.upstream_id))), (ids) => [...keys].every((k) => ids.has(k)), 20_000, 'every record redelivered');
    await page.getByText('No dead letters.').waitFor({ timeout: 10_000 });
    expect(fixedReceiver.badSignatures).toEqual([]);
    await waitUntil(logStatuses, (s) => s.includes('204'), 10_000, 'the log to show the redeliveries');
    expect(await sameWindow()).toBe(true);
    await screenshot('35-webhook-redelivered');
  });

  it('creates a PostgreSQL consumer with the form; its rows arrive in the target table', async () => {
    await page.goto(`/streams/${streamId}/consumers/new`);
    await page.getByRole('radio', { name: /PostgreSQL/ }).check();
    await page.getByLabel('Consumer name').fill('to-pg');
    await page.getByLabel('Sync', { exact: true }).selectOption({ label: 'Billing' });
    await page.getByLabel('Connection URL', { exact: true }).fill(target!.url);
    expect(await page.getByLabel('Table', { exact: true }).inputValue()).toBe('public.syncline_records');
    expect(await page.getByLabel('Deleted records').inputValue()).toBe('mark');
    // A table name that is not an identifier: refused, said next to the field.
    await page.getByLabel('Table', { exact: true }).fill('public.records; drop table x');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByTestId('server-error').filter({ hasText: 'validation_failed' }).waitFor();
    expect(await page.getByLabel('Table', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshot('36-postgres-form-refused');

    await page.getByLabel('Table', { exact: true }).fill('public.syncline_records');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'to-pg', level: 1 }).waitFor();
    const sameWindow = await markWindow(page);
    const records = await allRecords(api, syncId);
    await waitUntil(() => numberIn(page.getByTestId('push-lag')), (n) => n === 0, 30_000, 'the lag to reach 0');
    await waitUntil(() => page.getByTestId('push-state').first().getAttribute('data-state'), (s) => s === 'connected', 10_000, 'the state to be connected');

    const client = new pg.Client({ connectionString: target!.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ upstream_id: string; updated_idx: string; deleted: boolean }>('SELECT upstream_id, updated_idx, deleted FROM public.syncline_records');
      const byId = (a: (string | number | boolean)[], b: (string | number | boolean)[]) => (String(a[0]) < String(b[0]) ? -1 : 1);
      expect(rows.map((r) => [r.upstream_id, Number(r.updated_idx), r.deleted]).sort(byId)).toEqual(records.map((r) => [r.upstream_id, Number(r.updated_idx), r.deleted]).sort(byId));
      // The SQL the page shows runs as it is.
      const sql = (await page.locator('pre[data-snippet="postgres-sql"]').textContent()) ?? '';
      expect(sql).toContain('FROM public.syncline_records');
      expect(sql).toContain(syncId);
      const answers = (await client.query(sql)) as unknown as pg.QueryResult[];
      expect(answers[0]!.rows).toHaveLength(Math.min(20, records.length));
    } finally {
      await client.end();
    }
    await waitUntil(logStatuses, (s) => s.length > 0, 10_000, 'the delivery log to show the batches');
    expect(await page.locator('pre[data-snippet="psql-connect"]').textContent()).toContain('dbname=');
    expect(await sameWindow()).toBe(true);
    await screenshot('37-postgres-consumer');

    await page.getByRole('link', { name: 'Consumers', exact: true }).click();
    const row = page.getByRole('row', { name: /to-pg/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('PostgreSQL');
    expect(await row.textContent()).toContain('public.syncline_records');
    await screenshot('38-consumers-all-kinds', { fullPage: false });

    // Reset ahead, past the stream's last record: nothing is left to write.
    await row.getByRole('link', { name: 'to-pg' }).click();
    await page.getByRole('heading', { name: 'to-pg', level: 1 }).waitFor();
    const head = Math.max(...(await allRecords(api, syncId)).map((r) => Number(r.updated_idx)));
    await page.getByLabel('Start again from').selectOption('by_start_idx');
    await page.getByLabel('Start position (updated_idx)').fill(String(head + 1));
    page.once('dialog', (dialog) => {
      expect(dialog.message()).toContain(`from stream position ${head + 1}`);
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Reset consumer' }).click();
    await page.getByRole('status').filter({ hasText: 'Reset: delivery starts again' }).waitFor();
    await page.getByText(`by_start_idx (${head + 1}), 1 reset`).waitFor();
    expect(await numberIn(page.getByTestId('push-lag'))).toBe(0);

    // Deleting the consumer leaves the table.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete consumer' }).click();
    await page.waitForURL(`**/streams/${streamId}/consumers`);
    await page.getByRole('link', { name: 'to-hook' }).waitFor();
    expect(await page.getByRole('link', { name: 'to-pg' }).count()).toBe(0);
  });

  it('shows a webhook consumer on a phone-sized screen', async () => {
    const small = await browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: server.url });
    await small.addInitScript((token) => sessionStorage.setItem('syncline.token', token), ROOT_TOKEN);
    const phone = await small.newPage();
    const phoneProblems = collectPageProblems(phone);
    try {
      await phone.goto(webhookPath);
      await phone.getByRole('heading', { name: 'to-hook', level: 1 }).waitFor();
      await phone.getByTestId('delivery-log').waitFor();
      // Wide tables scroll inside their region, not the page.
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await saveScreenshot(phone, '39-webhook-consumer-phone');
      for (const violation of await accessibilityViolations(phone)) violations.push({ page: '39-webhook-consumer-phone', violation });
      expect(phoneProblems).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('has no serious or critical axe-core violations and no page problems', () => {
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });
});
