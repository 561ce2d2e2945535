import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { collectPageProblems, launchBrowser, screenshot } from './support/browser.ts';
import { waitUntil } from './support/page-helpers.ts';

const QUERY = '{ viewer { account { name } } }';

/**
 * GraphiQL at /graphql in Debian's Chromium with every request to another host refused: its
 * scripts, styles and editor workers come from this server, the header editor takes the token
 * (the console's stored one, or typed in place of the placeholder), and a query's answer shows.
 */
describe('GraphiQL offline, signed in with an API token', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let token: string;
  /** Every request the browser tried to send beyond the test server (each was aborted). */
  const elsewhere: string[] = [];
  /** Every URL the browser fetched from the test server. */
  const fetched: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    const created = await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'graphiql walk' });
    token = created.body.api_token.token;
    ({ browser, close: closeBrowser } = await launchBrowser());
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: server.url });
    const origin = new URL(server.url).origin;
    // The whole context, so that requests from the editor's workers are seen too.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:')) {
        fetched.push(url);
        return route.continue();
      }
      elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
    page = await context.newPage();
    problems = collectPageProblems(page);
  }, 120_000);

  afterAll(async () => {
    if (problems?.length) console.warn(`browser problems:\n${problems.join('\n')}`);
    await context?.close();
    await closeBrowser?.();
    await server?.stop();
  });

  afterEach(async (test) => {
    if (test.task.result?.state !== 'fail') return;
    await screenshot(page, `graphiql-failed-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
    console.warn(`browser problems so far:\n${problems.join('\n')}`);
  });

  /** A Monaco editor's text as shown (Monaco renders spaces as no-break spaces). */
  const editorText = (selector: string) => page.locator(`${selector} .view-lines`).first().innerText().then((text) => text.replace(/\u00a0/g, ' '));
  const HEADER_EDITOR = '.monaco-editor[data-uri*="headers"]';
  const headersText = () => editorText(HEADER_EDITOR);
  const resultText = () => editorText('.graphiql-response');

  async function runQuery(): Promise<void> {
    await page.getByRole('button', { name: /Execute query/ }).click();
  }

  it('serves the page and every file it loads from this server, under a Content-Security-Policy', async () => {
    const answer = await page.goto('/graphql');
    expect(answer?.status()).toBe(200);
    const headers = answer?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("script-src 'self';");
    expect(headers['content-security-policy']).toContain("connect-src 'self'");
    expect(headers['x-frame-options']).toBe('DENY');
    await page.getByRole('button', { name: /Execute query/ }).waitFor();
    await waitUntil(headersText, (text) => text.includes('Bearer <your API token>'), 30_000, 'the header editor to show the placeholder');
    // The bundle, and the editor's workers, which Monaco asks for as it starts.
    await waitUntil(async () => fetched.filter((url) => /\/graphql\/assets\/(graphiql|start|editor\.worker|graphql\.worker)-/.test(url)).length, (n) => n >= 4, 30_000, "GraphiQL's files from this server");
    await screenshot(page, 'graphiql-01-placeholder');
  });

  it('answers 401 while the placeholder is there, and the query once a token replaces it', async () => {
    await runQuery();
    await waitUntil(resultText, (text) => text.includes('missing or invalid API token'), 20_000, 'the 401 answer in the result pane');

    await page.locator(HEADER_EDITOR).click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    // Typed key by key, as a user would: the editor closes brackets and quotes, and types over them.
    await page.keyboard.type(JSON.stringify({ Authorization: `Bearer ${token}` }));
    await runQuery();
    await waitUntil(resultText, (text) => text.includes('"name": "graphiql walk"'), 20_000, "the account's name in the result pane");
    await screenshot(page, 'graphiql-02-typed-token');
  });

  it("starts with the console's stored token in the header editor", async () => {
    await page.evaluate((value) => sessionStorage.setItem('syncline.token', value), token);
    await page.goto(`/graphql?query=${encodeURIComponent(QUERY)}`);
    await waitUntil(headersText, (text) => text.includes(`Bearer ${token}`), 30_000, "the console's token in the header editor");
    await runQuery();
    await waitUntil(resultText, (text) => text.includes('"name": "graphiql walk"'), 20_000, "the account's name in the result pane");
    // GraphiQL keeps no copy of the token: it lives where the console put it (the session) only.
    const persisted = await page.evaluate((value) => Object.keys(localStorage).filter((key) => localStorage.getItem(key)?.includes(value)), token);
    expect(persisted).toEqual([]);
    await screenshot(page, 'graphiql-03-console-token');

    // Opened again, on the tabs GraphiQL kept (without their headers), the token is put back.
    await page.goto('/graphql');
    await waitUntil(headersText, (text) => text.includes(`Bearer ${token}`), 30_000, "the console's token in the header editor after a reload");
  });

  it('streams a subscription (server-sent events) with the same token', async () => {
    const streamId = (await restClient(server.url, token).post('/v1/streams', { name: 'graphiql' })).body.id as string;
    const target = { syncId: randomUUID(), streamId, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, [{ id: 'cus_1' }]);
    // A link with the document in it, as GraphiQL keeps the current one in the address.
    const subscription = `subscription { recordChanged(streamId: "${streamId}", afterIdx: "0") { upstreamId } }`;
    await page.goto(`/graphql?query=${encodeURIComponent(subscription)}`);
    await waitUntil(headersText, (text) => text.includes(`Bearer ${token}`), 30_000, "the console's token in the header editor");
    await runQuery();
    await waitUntil(resultText, (text) => text.includes('"upstreamId": "cus_1"'), 20_000, 'the replayed record in the result pane');
    await seedRecords(server.app.ctx, target, [{ id: 'cus_2' }]);
    await waitUntil(resultText, (text) => text.includes('"upstreamId": "cus_2"'), 20_000, 'the live record in the result pane');
    await screenshot(page, 'graphiql-04-subscription');
    await page.getByRole('button', { name: /Stop query/ }).click();
    // A tab kept from an earlier visit (stored without its headers) has the token too.
    await page.locator('.graphiql-tab').first().click();
    await waitUntil(headersText, (text) => text.includes(`Bearer ${token}`), 10_000, 'the token in the first tab');
  });

  it('tried no host but the test server, and broke no Content-Security-Policy', () => {
    expect(elsewhere).toEqual([]);
    // The 401 of the placeholder's request is the only error the browser reports.
    expect(problems.filter((problem) => !problem.includes('status of 401'))).toEqual([]);
  });

  it('still answers a GraphQL operation without a token 401, and the page to a browser without one', async () => {
    const anonymous = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
    expect(anonymous.status).toBe(401);
    // A browser's GET of the page with a document in the URL gets the page: nothing is executed.
    const pageWithQuery = await fetch(`${server.url}/graphql?query=${encodeURIComponent(QUERY)}`, { headers: { accept: 'text/html' } });
    expect(pageWithQuery.status).toBe(200);
    const html = await pageWithQuery.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).not.toContain('graphiql walk');
    expect(html).not.toMatch(/<script(?![^>]*(\bsrc=|type="application\/json"))/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('serves the files without a token, compressed when asked, cached for good', async () => {
    const html = await (await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    const script = /src="(\/graphql\/assets\/graphiql-[0-9a-f]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const plain = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect([plain.status, plain.headers.get('content-type'), plain.headers.get('cache-control'), plain.headers.get('content-encoding')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'public, max-age=31536000, immutable',
      null,
    ]);
    const body = await plain.text();
    const gzipped = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(Number(gzipped.headers.get('content-length'))).toBeLessThan(body.length / 2);
    expect(await gzipped.text()).toBe(body);
    const again = await fetch(`${server.url}${script}`, { headers: { 'if-none-match': String(plain.headers.get('etag')) } });
    expect(again.status).toBe(304);
    expect((await fetch(`${server.url}/graphql/assets/graphiql-0000.js`)).status).toBe(404);
    expect((await fetch(`${server.url}${script}`, { method: 'POST' })).status).toBe(405);
  });
});
