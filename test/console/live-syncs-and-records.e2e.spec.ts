import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../src/emulators/github/index.ts';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitForBackfill } from '../support/stripe-sync.ts';
import { accessibilityViolations, type AxeViolation } from './support/accessibility.ts';
import { collectPageProblems, launchBrowser, screenshot as saveScreenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/build-console.ts';
import { markWindow, waitUntil } from './support/page-helpers.ts';

const CUSTOMERS = 8;
const ISSUES = 5;

/**
 * The stream page follows syncs made elsewhere (REST here) without a reload, and its Records tab
 * shows all syncs or the one chosen (kept in the URL), with each record's upstream_updated_at.
 */
describe('web console: live sync list, records per sync', { timeout: 120_000 }, () => {
  let server: TestServer;
  let stripe: StripeEmulator;
  let github: GitHubEmulator;
  let api: RestClient;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let streamId: string;
  let billingId: string;
  let codeId = '';

  beforeAll(async () => {
    const built = ensureConsoleBuilt();
    [stripe, github, server] = await Promise.all([
      startStripeEmulator({ seed: { customer: CUSTOMERS }, randomSeed: 11 }),
      startGitHubEmulator({ objects: ISSUES, randomSeed: 11 }),
      startTestServer({ LOG_LEVEL: 'warn' }),
    ]);
    api = restClient(server.url, ROOT_TOKEN);
    streamId = (await api.post('/v1/streams', { name: 'mixed' })).body.id;
    const billing = await api.post('/v1/syncs', {
      provider: 'stripe',
      name: 'Billing',
      stream_id: streamId,
      collection_ids: ['stripe:customer'],
      credential: { properties: { kind: 'stripe', secret: stripe.apiKey, api_base_url: stripe.url } },
    });
    expect(billing.status).toBe(201);
    billingId = billing.body.id;
    await built;
    ({ browser, close: closeBrowser } = await launchBrowser());
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: server.url });
    await context.addInitScript((token) => sessionStorage.setItem('syncline.token', token), ROOT_TOKEN);
    page = await context.newPage();
    problems = collectPageProblems(page);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await closeBrowser?.();
    await server?.stop();
    await stripe?.close();
    await github?.close();
  });

  const violations: { page: string; violation: AxeViolation }[] = [];
  async function screenshot(name: string) {
    await saveScreenshot(page, name, { fullPage: false });
    for (const violation of await accessibilityViolations(page)) violations.push({ page: name, violation });
  }

  afterEach(async (test) => {
    if (test.task.result?.state !== 'fail') return;
    await saveScreenshot(page, `failed-live-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
    console.warn(`browser problems so far:\n${problems.join('\n')}`);
  });

  const cards = () => page.getByRole('list', { name: 'Syncs' }).getByRole('article');
  const cardNames = () => cards().evaluateAll((articles) => articles.map((a) => a.querySelector('h3')?.textContent ?? ''));

  it('shows a sync created through REST without a reload, and drops it when deleted', async () => {
    await page.goto(`/streams/${streamId}/syncs`);
    await page.getByRole('article', { name: 'Billing' }).waitFor();
    const sameWindow = await markWindow(page);

    const created = Date.now();
    const code = await api.post('/v1/syncs', {
      provider: 'github',
      name: 'Code',
      stream_id: streamId,
      collection_ids: ['github:issue'],
      credential: { properties: { kind: 'github', access_token: github.token, api_base_url: github.url } },
    });
    expect(code.status).toBe(201);
    codeId = code.body.id;
    await waitUntil(cardNames, (names) => names.includes('Code'), 8_000, 'the sync created through REST to appear');
    expect(Date.now() - created).toBeLessThan(8_000);
    // Its status is live as for any other card.
    const card = page.getByRole('article', { name: 'Code' });
    await waitUntil(() => card.locator('tr[data-collection="github:issue"] [data-testid=collection-records]').textContent(), (t) => t === String(ISSUES), 30_000, 'the issues to be counted');

    const temporary = await api.post('/v1/syncs', {
      provider: 'stripe',
      name: 'Temporary',
      stream_id: streamId,
      collection_ids: ['stripe:customer'],
      credential: { properties: { kind: 'stripe', secret: stripe.apiKey, api_base_url: stripe.url } },
    });
    expect(temporary.status).toBe(201);
    await waitUntil(cardNames, (names) => names.includes('Temporary'), 8_000, 'the second sync created through REST to appear');
    await screenshot('20-syncs-created-elsewhere');
    expect((await api.delete(`/v1/syncs/${temporary.body.id}`)).status).toBe(204);
    await waitUntil(cardNames, (names) => !names.includes('Temporary'), 8_000, 'the sync deleted through REST to disappear');
    // Oldest id first, as the syncs query lists them.
    const byId = [[billingId, 'Billing'] as const, [codeId, 'Code'] as const].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(await cardNames()).toEqual(byId.map(([, name]) => name));
    expect(await sameWindow()).toBe(true);
  });

  it('lets the user choose the sync in the Records tab, keeps the choice over a reload, and shows upstream_updated_at', async () => {
    await Promise.all([waitForBackfill(api, billingId, 30_000), waitForBackfill(api, codeId, 30_000)]);
    await page.getByRole('tab', { name: 'Records' }).click();
    const rows = page.getByTestId('records-page').locator('tr[data-upstream-id]');
    const syncsOfRows = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-sync-id')));

    // All syncs by default, with a Sync column naming each row's. The deleted sync's records stay
    // in the stream (consumers of the whole stream got them): they show under "deleted sync".
    expect(await page.getByLabel('Sync', { exact: true }).inputValue()).toBe('');
    const ofListedSyncs = async () => (await syncsOfRows()).filter((id) => id === billingId || id === codeId).length;
    await waitUntil(ofListedSyncs, (n) => n === CUSTOMERS + ISSUES, 15_000, 'the records of both syncs');
    await page.getByRole('columnheader', { name: 'Sync' }).waitFor();
    const syncCells = await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-sync-id'), tr.querySelector('td')?.textContent ?? '']));
    for (const [syncId, name] of syncCells) expect(name).toBe(syncId === billingId ? 'Billing' : syncId === codeId ? 'Code' : 'deleted sync');
    await screenshot('21-records-all-syncs');

    await page.getByLabel('Sync', { exact: true }).selectOption({ label: 'Code' });
    await page.waitForURL((url) => url.searchParams.get('sync') === codeId);
    await waitUntil(syncsOfRows, (ids) => ids.length === ISSUES && ids.every((id) => id === codeId), 10_000, 'only the records of Code');
    expect(await page.getByRole('columnheader', { name: 'Sync' }).count()).toBe(0);

    // A provider that says when an object changed: each row shows its upstream_updated_at.
    const records = (await api.get(`/v1/syncs/${codeId}/records`)).body.data as { upstream_id: string; upstream_updated_at: string | null }[];
    expect(records).toHaveLength(ISSUES);
    const shown = async () =>
      page
        .getByTestId('records-page')
        .locator('tr[data-upstream-id]')
        .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-upstream-id'), tr.querySelector('[data-testid=upstream-updated-at] time')?.getAttribute('datetime') ?? null]));
    for (const [upstreamId, at] of await shown()) {
      const record = records.find((r) => r.upstream_id === upstreamId);
      expect(record?.upstream_updated_at).toBeTruthy();
      expect(Date.parse(at ?? '')).toBe(Date.parse(record!.upstream_updated_at!));
    }
    await screenshot('22-records-one-sync');

    await page.reload();
    await waitUntil(syncsOfRows, (ids) => ids.length === ISSUES && ids.every((id) => id === codeId), 15_000, 'the choice of Code to survive the reload');
    expect(await page.getByLabel('Sync', { exact: true }).inputValue()).toBe(codeId);

    // A backfilled Stripe customer has no upstream_updated_at: the cell shows —.
    await page.getByLabel('Sync', { exact: true }).selectOption({ label: 'Billing' });
    await waitUntil(syncsOfRows, (ids) => ids.length === CUSTOMERS && ids.every((id) => id === billingId), 10_000, 'only the records of Billing');
    expect(new Set(await page.getByTestId('records-page').getByTestId('upstream-updated-at').allTextContents())).toEqual(new Set(['—']));

    await page.getByLabel('Sync', { exact: true }).selectOption({ label: 'All syncs' });
    await page.waitForURL((url) => !url.searchParams.has('sync'));
    await waitUntil(ofListedSyncs, (n) => n === CUSTOMERS + ISSUES, 10_000, 'the records of both syncs again');
  });

  it('has no serious or critical axe-core violations and no page problems', () => {
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });
});
