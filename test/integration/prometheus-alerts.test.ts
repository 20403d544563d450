/**
 * docs/prometheus-alerts.yml is a rule file Prometheus accepts in shape (groups → rules with
 * alert, expr, for, labels, annotations), and every metric its expressions name is one the
 * worker's /metrics really exports with a sample, scraped from a warehouse whose ledger holds a
 * success, a failure still outstanding and rejected rows.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { silentLogger } from '../../src/logger.ts';
import { startOpsServer, type OpsServer } from '../../src/ops/metrics.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const RULES = new URL('../../docs/prometheus-alerts.yml', import.meta.url);

// Names PromQL uses that are not metrics: operators and modifiers. Functions are recognised by "(".
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);
// Prometheus records `up` itself for every scrape target; the worker cannot export it.
const SYNTHESISED_BY_PROMETHEUS = new Set(['up']);

/** Metric names in a PromQL expression: identifiers that are neither functions, keywords, label matchers nor durations. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // grouping: `max by (x) (m)` reads as `max (m)`
    .replace(/\boffset\s+\d+[smhdwy]/g, '');
  const names = [...stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)]
    .filter((m) => m[1] === undefined && !KEYWORDS.has(m[0]))
    .map((m) => m[0]);
  return [...new Set(names)];
}

let db: TestDatabase;
let server: OpsServer;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`
    WITH run AS (
      INSERT INTO punchcard.sync_runs (kind, plan_key, sources, streams, range_from, range_to, window_days, status, finished_at)
      VALUES ('sync', 'k', '{timeclock}', '{sessions,lunches}', '2026-11-01', '2026-11-14', 7, 'partial', now())
      RETURNING id)
    INSERT INTO punchcard.sync_windows (run_id, source, account, stream, window_start, window_end, status, started_at, rows_inserted, rows_rejected, error)
    SELECT id, 'timeclock', 'default', s, '2026-11-01', '2026-11-07', st, now(), 5, r, e FROM run,
      (VALUES ('sessions', 'succeeded', 3, NULL), ('lunches', 'failed', 0, 'server 503')) AS w(s, st, r, e)`);
  server = await startOpsServer({ pool: db.pool, port: 0, host: '127.0.0.1', logger: silentLogger(), syncInProgress: () => false });
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('docs/prometheus-alerts.yml', () => {
  it('parses as a Prometheus rule file whose expressions name only metrics /metrics exports', async () => {
    const doc = parse(await readFile(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Array<Record<string, unknown>> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['PunchcardStreamNotSynced', 'PunchcardFailedWindowsOutstanding', 'PunchcardRejectsRising']),
    );
    for (const rule of rules) {
      expect(Object.keys(rule).every((k) => ['alert', 'expr', 'for', 'labels', 'annotations'].includes(k)), String(rule.alert)).toBe(true);
      expect(typeof rule.expr).toBe('string');
      expect(String(rule.for ?? '0s')).toMatch(/^\d+[smhdwy]$/);
    }

    const scrape = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    // A name counts as exported when a sample carries it (histograms: name_bucket/_sum/_count).
    const sampled = new Set(scrape.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(l)![0]));
    const missing = rules.flatMap((r) =>
      metricNames(String(r.expr))
        .filter((name) => !SYNTHESISED_BY_PROMETHEUS.has(name) && !sampled.has(name))
        .map((name) => `${String(r.alert)}: ${name}`),
    );
    expect(missing).toEqual([]);
    expect(metricNames(String(rules.find((r) => r.alert === 'PunchcardFailedWindowsOutstanding')!.expr))).toEqual(['punchcard_failed_windows_outstanding']);

    // The figures the three alerts read, for the ledger above.
    expect(scrape).toMatch(/^punchcard_last_success_timestamp_seconds\{source="timeclock",stream="sessions"\} \d{10}/m);
    expect(scrape).toMatch(/^punchcard_failed_windows_outstanding\{source="timeclock",stream="lunches"\} 1$/m);
    expect(scrape).toMatch(/^punchcard_failed_windows_outstanding\{source="timeclock",stream="sessions"\} 0$/m);
    expect(scrape).toMatch(/^punchcard_rows_loaded_total\{source="timeclock",stream="sessions",kind="rejected"\} 3$/m);
  });

  it('finds metric names in PromQL, not functions, keywords, labels or durations', () => {
    expect(metricNames('time() - max by (source, stream) (a_seconds) > 26 * 3600')).toEqual(['a_seconds']);
    expect(metricNames('increase(b_total{kind="rejected",x=~"and|or"}[1d] offset 1d) > 2 * c and d')).toEqual(['b_total', 'c', 'd']);
  });
});
