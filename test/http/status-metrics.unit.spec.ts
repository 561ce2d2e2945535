import { describe, expect, it } from 'vitest';
import { STATUS_METRICS, withoutInstanceLabels } from '../../src/http/status-metrics.ts';

describe('status metrics without sync and consumer ids (SYNCLINE_METRICS_PER_SYNC=false)', () => {
  const series = [
    { labels: { consumer_id: 'a', kind: 'webhook' }, value: 3 },
    { labels: { consumer_id: 'b', kind: 'webhook' }, value: 5 },
    { labels: { consumer_id: 'c', kind: 'nats' }, value: 7 },
  ];

  it('adds up the series that share their other labels', () => {
    expect(withoutInstanceLabels(series, ['kind'], 'sum')).toEqual([
      { labels: { kind: 'webhook' }, value: 8 },
      { labels: { kind: 'nats' }, value: 7 },
    ]);
  });

  it('keeps the largest of ages', () => {
    expect(withoutInstanceLabels(series, ['kind'], 'max')).toEqual([
      { labels: { kind: 'webhook' }, value: 5 },
      { labels: { kind: 'nats' }, value: 7 },
    ]);
  });

  it('names every metric by Prometheus conventions, with bounded labels only', () => {
    const bounded = new Set(['sync_id', 'collection', 'consumer_id', 'kind', 'state']);
    for (const metric of STATUS_METRICS) {
      expect(metric.name).toMatch(/^syncline_[a-z_]+$/);
      expect([metric.name, metric.type === 'counter']).toEqual([metric.name, metric.name.endsWith('_total')]);
      for (const label of metric.labelNames) expect([metric.name, bounded.has(label)]).toEqual([metric.name, true]);
    }
  });
});
