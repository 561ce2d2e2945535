import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/emulators/hubspot/index.ts';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/build-console.ts';
import { waitUntil } from './support/page-helpers.ts';

/**
 * "+ Add new" → "Connect Syncline to HubSpot" in a real browser: the console asks the server for the
 * consent URL, the HubSpot emulator approves at once and redirects to Syncline's callback, which
 * creates the credential and sends the browser back to the create-sync form with it selected.
 */
describe('web console: OAuth connect', { timeout: 120_000 }, () => {
  let server: TestServer;
  let emulator: HubSpotEmulator;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let streamId: string;

  beforeAll(async () => {
    const built = ensureConsoleBuilt();
    [emulator, server] = await Promise.all([
      startHubSpotEmulator({ seed: { contact: 25, company: 0, deal: 0 }, randomSeed: 5, searchRateLimit: null }),
      startTestServer({ LOG_LEVEL: 'warn' }),
    ]);
    streamId = (await restClient(server.url, ROOT_TOKEN).post('/v1/streams', { name: 'crm' })).body.id;
    await built;
    ({ browser, close: closeBrowser } = await launchBrowser());
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    await context.addInitScript((token) => sessionStorage.setItem('syncline.token', token), ROOT_TOKEN);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await server?.stop();
    await emulator?.close();
  });

  it('connects HubSpot through OAuth and starts a sync with the new credential', async () => {
    await page.goto(`/streams/${streamId}/syncs/new`);
    await page.getByLabel('Provider').selectOption('hubspot');
    await page.getByRole('button', { name: '+ Add new' }).click();
    const oauth = page.getByRole('group', { name: 'Connect with OAuth' });
    await oauth.getByRole('button', { name: 'Add OAuth app' }).click();
    await oauth.getByLabel('Client id').fill(emulator.oauthClient.clientId);
    await oauth.getByLabel('Client secret').fill(emulator.oauthClient.clientSecret);
    await oauth.getByRole('button', { name: 'Save OAuth app' }).click();
    await waitUntil(() => oauth.getByLabel('OAuth app', { exact: true }).inputValue(), (v) => v !== '', 10_000, 'the OAuth app to be selected');
    await oauth.getByLabel('Provider host (optional)').fill(emulator.url);
    await screenshot(page, '13-oauth-connect');

    await oauth.getByRole('button', { name: 'Connect Syncline to HubSpot' }).click();
    // Emulator consent page → /v1/oauth/hubspot/callback → back here with ?credential_id=….
    await page.waitForURL((url) => url.pathname === `/streams/${streamId}/syncs/new` && url.searchParams.has('credential_id'), { timeout: 15_000 });
    const credentialId = new URL(page.url()).searchParams.get('credential_id')!;
    expect(emulator.authorizationCodeGrants).toBe(1);
    await waitUntil(() => page.getByLabel('Credential', { exact: true }).inputValue(), (v) => v === credentialId, 10_000, 'the connected credential to be selected');
    expect(await page.getByLabel('Provider').inputValue()).toBe('hubspot');

    await page.getByRole('checkbox', { name: /hubspot:contact/ }).check();
    await page.getByRole('button', { name: 'Start syncing' }).click();
    const card = page.getByRole('article', { name: 'HubSpot sync' });
    await card.waitFor();
    await waitUntil(() => card.locator('tr[data-collection="hubspot:contact"] [data-testid=collection-records]').textContent(), (t) => t === '25', 30_000, 'the contacts to be synced');
  });
});
