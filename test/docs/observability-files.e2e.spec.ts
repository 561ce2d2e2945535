import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { scrapeMetrics, type Scrape } from '../support/prometheus-text.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * docs/grafana-dashboard.json and docs/prometheus-alerts.yml name only metrics a running server
 * exports: parsed as Grafana and Prometheus read them, every metric in their queries is a family
 * of /metrics with series, once a sync has polled and consumers of both sorts exist.
 */

const DASHBOARD = new URL('../../docs/grafana-dashboard.json', import.meta.url);
const ALERTS = new URL('../../docs/prometheus-alerts.yml', import.meta.url);
/** Series that exist only once a provider tells a collection's count (the Stripe emulator, like Stripe, does not). */
const SERIES_ONLY_WHEN_KNOWN = new Set(['syncline_sync_collection_backfill_total_records']);

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { query?: string | { query: string } }[] };
}
interface RuleFile {
  groups: { name: string; rules: { alert: string; expr: string; for?: string; annotations: { summary: string; description: string } }[] }[];
}

const metricNames = (expression: string) => [...expression.matchAll(/\bsyncline_[a-z0-9_]+/g)].map((m) => m[0]);

/** A histogram's series name (`_bucket`, `_sum`, `_count`) as its family's. */
function familyOf(name: string, scrape: Scrape): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && scrape.families.get(base) === 'histogram' ? base : name;
}

describe('the dashboard and the alert rules name exported metrics', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let scrape: Scrape;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 20 }, randomSeed: 6 });
    server = await startTestServer();
    api = restClient(server.url, ROOT_TOKEN);
    await receiver.start();
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 60_000 });
    expect((await api.post('/v1/http-consumers', { name: 'dashboard', sync_id: sync.id })).status).toBe(201);
    const webhook = await api.post('/v1/webhook-consumers', { name: 'dashboard', url: receiver.url, sync_id: sync.id });
    expect(webhook.status).toBe(201);
    await waitFor(async () => (await api.get(`/v1/syncs/${sync.id}/status`)).body.last_poll_at !== null, 30_000, 'the first poll');
    await waitFor(async () => (await api.get(`/v1/webhook-consumers/${webhook.body.id}`)).body.last_delivered_at !== null, 30_000, 'a webhook delivery');
    scrape = await scrapeMetrics(server.url);
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
    await receiver.close();
  });

  function expectExported(names: Iterable<string>) {
    const missing: string[] = [];
    for (const name of names) {
      const family = familyOf(name, scrape);
      if (!scrape.families.has(family)) missing.push(`${name}: no such family`);
      else if (!SERIES_ONLY_WHEN_KNOWN.has(name) && !scrape.samples.some((s) => s.name === name)) missing.push(`${name}: no series`);
    }
    expect(missing).toEqual([]);
  }

  it('docs/grafana-dashboard.json', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
    const expressions = [
      ...panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' ? [v.query.query] : [])),
    ];
    const names = new Set(expressions.flatMap(metricNames));
    expect(names.size).toBeGreaterThan(10);
    expectExported(names);
  });

  it('docs/prometheus-alerts.yml', async () => {
    const rules = parseYaml(await readFile(ALERTS, 'utf8')) as RuleFile;
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert)).toEqual(expect.arrayContaining(['SynclineSyncInError', 'SynclineConsumerLagGrowing', 'SynclineDeadLetters', 'SynclineRateLimitWaitsDominating']));
    for (const alert of alerts) expect([alert.alert, alert.annotations.summary.length > 0, alert.annotations.description.length > 0]).toEqual([alert.alert, true, true]);
    expectExported(new Set(alerts.flatMap((a) => metricNames(a.expr))));
  });
});
