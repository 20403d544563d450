/**
 * `punchcard sync`: the lookback range in each source's own zone, an edit inside it picked up and
 * one outside it left alone, two syncs at once (one runs, one skips), and the demo fallback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { planSync, runSync } from '../../src/ops/sync.ts';
import { syncLockName, tryAdvisoryLock } from '../../src/ops/locks.ts';
import { buildStreams, configuredSources, SOURCES } from '../../src/sources/registry.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, dbTest, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const TOKEN = 'test-token-sync-7d1e';
const TODAY = '2025-11-04';
// 10:00 in Jerusalem (UTC+2 in November), the TimeClock zone by default.
const NOW = new Date('2025-11-04T08:00:00Z');

let sim: TimeclockSimulator;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 42, employees: 8, today: TODAY });
});
afterAll(async () => sim?.close());

const timeclockConfig = (databaseUrl: string) =>
  loadConfig({ DATABASE_URL: databaseUrl, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN, HTTP_TIMEOUT_MS: '5000' });

describe('the sync range', () => {
  it('ends on today in each source\'s own zone and covers every stream of the registry', () => {
    const config = loadConfig({
      TIMECLOCK_API_TOKEN: 'x-token',
      TIMECLOCK_TIMEZONE: 'Asia/Jerusalem',
      CLOCKODO_API_USER: 'api@example.com',
      CLOCKODO_API_KEY: 'y-key',
      CLOCKODO_TIMEZONE: 'Europe/Berlin',
    });
    const streams = buildStreams(config, {}, { logger: silentLogger() });
    // 22:30 UTC: already 00:30 on the 4th in Jerusalem, still 23:30 on the 3rd in Berlin.
    const plans = planSync(streams, config, { now: new Date('2025-11-03T22:30:00Z'), lookbackDays: 14 });
    const ranges = Object.fromEntries(plans.map((p) => [p.source, `${p.from}..${p.to}`]));
    expect(ranges).toMatchObject({ timeclock: '2025-10-22..2025-11-04' });
    if (configuredSources(config).includes('clockodo') && SOURCES.clockodo.length > 0) expect(ranges.clockodo).toBe('2025-10-21..2025-11-03');
    for (const plan of plans) {
      expect(new Set(plan.tasks.map((t) => t.stream.name))).toEqual(new Set(SOURCES[plan.source]));
      expect(plan.plan).toMatchObject({ kind: 'sync', sources: [plan.source], from: plan.from, to: plan.to });
    }
  });
});

describe('sync', () => {
  dbTest('a 14-day sync picks up an edit to a 10-day-old session and leaves an 18-day-old one alone', async ({ db }) => {
    const deps = { config: timeclockConfig(db.url), pool: db.pool, databaseUrl: db.url, logger: silentLogger() };
    // Three weeks first, so the older day is in the warehouse too.
    const seeded = await runSync(deps, { now: NOW, lookbackDays: 21, concurrency: 2 });
    expect(seeded.status).toBe('succeeded');

    const pick = (day: string) => sim.dataset.sessionsInWindow(day, day).find((s) => s.absence === null && s.endDate !== null)!;
    const recent = pick('2025-10-25');
    const old = pick('2025-10-17');
    sim.dataset.editSession(recent.employeeNumber, recent.startDate, { endNote: 'corrected by a manager' });
    sim.dataset.editSession(old.employeeNumber, old.startDate, { endNote: 'corrected by a manager' });
    sim.requests.length = 0;

    const result = await runSync(deps, { now: NOW, lookbackDays: 14, concurrency: 2 });
    expect(result).toMatchObject({ demo: false, status: 'succeeded', sources: [{ source: 'timeclock', from: '2025-10-22', to: TODAY, status: 'succeeded' }] });
    expect(result.sources[0]!.summary!.rows.updated).toBeGreaterThan(0);
    expect(result.sources[0]!.summary!.rows.inserted).toBe(0);

    const note = async (s: { employeeNumber: number; startDate: string }) =>
      (await db.pool.query(`SELECT end_note FROM punchcard.tc_sessions WHERE method = 'extended-sessions' AND employee_number = $1 AND start_local = $2`, [s.employeeNumber, s.startDate])).rows;
    expect(await note(recent)).toEqual([{ end_note: 'corrected by a manager' }]);
    expect(await note(old)).toEqual([{ end_note: old.endNote }]);

    // Nothing before the range was asked for; the ledger records the range.
    const asked = sim.requests.map((r) => (r.params as { startDate: string }).startDate);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((day) => day >= '2025-10-22')).toBe(true);
    const { rows: runs } = await db.pool.query(`SELECT kind, status, range_from::text, range_to::text FROM punchcard.sync_runs ORDER BY id`);
    expect(runs).toEqual([
      { kind: 'sync', status: 'succeeded', range_from: '2025-10-15', range_to: TODAY },
      { kind: 'sync', status: 'succeeded', range_from: '2025-10-22', range_to: TODAY },
    ]);
  });

  dbTest('a source whose lock is held elsewhere is skipped and recorded as skipped', async ({ db }) => {
    const held = await tryAdvisoryLock(db.url, syncLockName('timeclock'), silentLogger());
    expect(held.acquired).toBe(true);
    try {
      const before = sim.requests.length;
      const result = await runSync({ config: timeclockConfig(db.url), pool: db.pool, databaseUrl: db.url, logger: silentLogger() }, { now: NOW, lookbackDays: 3, concurrency: 1 });
      expect(result.status).toBe('skipped');
      expect(sim.requests.length).toBe(before);
      const { rows } = await db.pool.query(`SELECT kind, status, error, finished_at IS NOT NULL AS finished FROM punchcard.sync_runs`);
      expect(rows).toEqual([{ kind: 'sync', status: 'skipped', finished: true, error: expect.stringMatching(/^another sync of timeclock is running \(punchcard lock sync:timeclock .+:\d+ since .+\)$/) }]);
    } finally {
      if (held.acquired) await held.lock.release();
    }
  });
});

describe('punchcard sync (CLI)', () => {
  // The CLI reads the real clock: this simulator's "today" is the real one.
  let live: TimeclockSimulator;
  let db: TestDatabase;
  beforeAll(async () => {
    live = await startTimeclockSimulator({ token: TOKEN, seed: 7, employees: 6 });
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await live?.close();
    await db?.drop();
  });

  it('two syncs started at once both run on the queue and exit 0; nothing is duplicated', async () => {
    live.setLatency(800); // 7 windows, 2 at a time, 0.8 s each: the first sync is still running when the second asks
    try {
      const env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: live.url, TIMECLOCK_API_TOKEN: TOKEN, PUNCHCARD_LOOKBACK_DAYS: '14' });
      const args = ['sync', '--streams', 'sessions', '--window-days', '2'];
      const [a, b] = await Promise.all([runCli(args, env), runCli(args, env)]);
      expect([a.code, b.code]).toEqual([0, 0]);
      for (const r of [a, b]) expect(r.stdout).toMatch(/^timeclock \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d: run \d+ succeeded/m);
    } finally {
      live.setLatency(0);
    }
    const { rows: runs } = await db.pool.query(`SELECT status FROM punchcard.sync_runs ORDER BY status`);
    expect(runs).toEqual([{ status: 'succeeded' }, { status: 'succeeded' }]);
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT (account, method, employee_number, start_local))::int AS keys FROM punchcard.tc_sessions`,
    );
    expect(rows[0].n).toBeGreaterThan(0);
    expect(rows[0].n).toBe(rows[0].keys);
    const { rows: windows } = await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT (run_id, stream, window_start))::int AS distinct_windows FROM punchcard.sync_windows`);
    expect(windows[0].n).toBe(windows[0].distinct_windows);
  });

  it('--source naming a source without credentials fails with one line, exit 2', async () => {
    const result = await runCli(['sync', '--source', 'clockodo'], cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: live.url, TIMECLOCK_API_TOKEN: TOKEN }));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('punchcard: source clockodo has no credentials: set CLOCKODO_API_USER and CLOCKODO_API_KEY\n');
  });

  dbTest('security #2: --demo syncs the built-in simulators into DATABASE_URL under the account label "demo"', async ({ db: fresh }) => {
    const result = await runCli(['sync', '--demo', '--lookback-days', '2'], cliEnv({ DATABASE_URL: fresh.url }));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^demo timeclock /m);
    const { rows: accounts } = await fresh.pool.query(
      `SELECT DISTINCT account FROM punchcard.tc_sessions UNION SELECT DISTINCT account FROM punchcard.sync_windows ORDER BY 1`,
    );
    expect(accounts).toEqual([{ account: 'demo' }]);
    const { rows } = await fresh.pool.query(`SELECT DISTINCT unnest(sources) AS source FROM punchcard.sync_runs WHERE kind = 'sync' AND status = 'succeeded' ORDER BY 1`);
    const withStreams = Object.entries(SOURCES).filter(([, streams]) => streams.length > 0).map(([source]) => source).sort();
    expect(rows.map((r) => r.source)).toEqual(withStreams);
    const { rows: sessions } = await fresh.pool.query(`SELECT count(*)::int AS n FROM reporting.work_sessions`);
    expect(sessions[0].n).toBeGreaterThan(0);
  });
});

describe('security #2: no demo data in a real warehouse unless asked', () => {
  dbTest('security #2: with DATABASE_URL and no credentials, sync, backfill and worker exit 2 naming the variables and write nothing', async ({ db: fresh }) => {
    const env = cliEnv({ DATABASE_URL: fresh.url, PUNCHCARD_METRICS_PORT: '0' });
    for (const args of [['sync'], ['backfill', '--from', '2026-09-01', '--to', '2026-09-02'], ['worker']]) {
      const result = await runCli(args, env, { timeoutMs: 30_000 });
      expect(result.code, args[0]).toBe(2);
      expect(result.stderr).toBe(
        'punchcard: no source has credentials: set TIMECLOCK_API_TOKEN and/or CLOCKODO_API_USER + CLOCKODO_API_KEY ' +
          '(DATABASE_URL is set, so the built-in simulators are synced only when asked: `punchcard sync --demo` or `punchcard demo`)\n',
      );
    }
    const { rows } = await fresh.pool.query(`SELECT count(*)::int AS n FROM punchcard.sync_runs`);
    expect(rows[0].n).toBe(0);
  });

  it('security #2: the account label "demo" is reserved for simulator rows', async () => {
    for (const variable of ['TIMECLOCK_ACCOUNT', 'CLOCKODO_ACCOUNT']) {
      expect(() => loadConfig({ [variable]: 'demo' })).toThrow(`${variable} must not be "demo": that label marks rows loaded from the built-in simulators`);
    }
  });
});
