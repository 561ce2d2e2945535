import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { WebhookInbox } from '../support/webhook-inbox.ts';
import { accessibilityViolations } from './support/accessibility.ts';
import { collectPageProblems, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/build-console.ts';

/**
 * The account settings page in Debian's Chromium: the notification webhook is set with its form
 * (the signing secret shown once, the same the API then signs with), refused with the server's
 * code for a bad URL, its secret rotated, and removed.
 */
describe('web console: settings', { timeout: 120_000 }, () => {
  let server: TestServer;
  let api: RestClient;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  const inbox = new WebhookInbox('/notify');

  beforeAll(async () => {
    const built = ensureConsoleBuilt();
    [server] = await Promise.all([startTestServer({ LOG_LEVEL: 'warn' }), inbox.start()]);
    api = restClient(server.url, ROOT_TOKEN);
    await built;
    ({ browser, close: closeBrowser } = await launchBrowser());
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await context.addInitScript((token) => sessionStorage.setItem('syncline.token', token), ROOT_TOKEN);
    page = await context.newPage();
    problems = collectPageProblems(page);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await closeBrowser?.();
    await server?.stop();
    await inbox.close();
  });

  afterEach(async (test) => {
    if (test.task.result?.state !== 'fail') return;
    await screenshot(page, `failed-settings-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
    console.warn(`browser problems so far:\n${problems.join('\n')}`);
  });

  it('sets the notification webhook, shows its secret once, rotates it and removes it', async () => {
    await page.goto('/streams');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Notification webhook' }).waitFor();
    await page.getByText('No notification webhook is set.').waitFor();

    // The server's refusal, in its words, next to the form.
    await page.getByLabel('Notification webhook URL').fill('ftp://example.com/notify');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'url must be https://' }).waitFor();

    await page.getByLabel('Notification webhook URL').fill(inbox.url);
    await page.getByRole('button', { name: 'Save' }).click();
    const snippet = page.locator('pre[data-snippet="notification-secret"]');
    await snippet.waitFor();
    const secret = ((await snippet.textContent()) ?? '').trim();
    expect(secret).toMatch(/^whsec_/);
    const stored = await api.get('/v1/account/notification-webhook');
    expect(stored.body).toMatchObject({ url: inbox.url, secret_hint: `…${secret.slice(-4)}` });
    await page.getByText(`…${secret.slice(-4)}`).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '60-settings-notification-webhook');

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.waitForFunction((old) => document.querySelector('pre[data-snippet="notification-secret"]')?.textContent?.trim() !== old, secret);
    const rotated = ((await snippet.textContent()) ?? '').trim();
    expect(rotated).toMatch(/^whsec_/);
    expect((await api.get('/v1/account/notification-webhook')).body.secret_hint).toBe(`…${rotated.slice(-4)}`);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('No notification webhook is set.').waitFor();
    expect((await api.get('/v1/account/notification-webhook')).status).toBe(404);
    expect(problems).toEqual([]);
  });
});
