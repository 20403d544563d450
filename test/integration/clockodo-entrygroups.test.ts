/**
 * clockodo end to end through the real CLI: simulator → client → transform → loader →
 * reporting.clockodo_time, checked against the simulator's entries summed directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { TimeclockDataset } from '../../src/simulators/timeclock/index.ts';
import { DateTime } from 'luxon';
import { addDays } from '../../src/pipeline/windows.ts';
import { utcBoundsOfLocalDays } from '../../src/transform/clockodo/time.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { clockodoSimulatorEnv, runCli } from '../support/cli.ts';

// Crosses a month boundary and the end of summer time in Europe/Berlin (2026-10-25).
const FROM = '2026-09-21';
const TO = '2026-10-27';

let sim: ClockodoSimulator;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await startClockodoSimulator({ attendance: new TimeclockDataset({ seed: 42, employees: 12, today: '2026-11-02' }), seed: 5 });
  db = await createTestDatabase();
  env = clockodoSimulatorEnv(sim.url, db.url);
});

afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const backfill = (extra: Record<string, string> = {}) => runCli(['backfill', '--source', 'clockodo', '--from', FROM, '--to', TO], { ...env, ...extra });

async function lastRun() {
  const { rows } = await db.pool.query(
    `SELECT stream, window_start::text AS start, window_end::text AS "end", status, rows_inserted AS inserted, rows_updated AS updated, rows_deleted AS deleted, rows_rejected AS rejected
     FROM punchcard.sync_windows WHERE run_id = (SELECT max(id) FROM punchcard.sync_runs) ORDER BY stream, window_start`,
  );
  return rows;
}

/** Seconds per "users_id|day" in the view, and the simulator's truth for every user and day. */
async function viewSeconds(): Promise<Map<string, number>> {
  const { rows } = await db.pool.query(`SELECT users_id::int AS u, work_date::text AS d, sum(seconds)::int AS s FROM reporting.clockodo_time GROUP BY 1, 2`);
  return new Map(rows.map((r) => [`${r.u}|${r.d}`, r.s]));
}
/** The simulator's raw entries of the range summed per user and Berlin day, independently of entrygroups. */
function truthSeconds(): Map<string, number> {
  const truth = new Map<string, number>();
  const { timeSince, timeUntil } = utcBoundsOfLocalDays({ start: FROM, end: TO }, 'Europe/Berlin');
  for (const entry of sim.dataset.entriesBetween(timeSince, timeUntil)) {
    const day = DateTime.fromISO(entry.time_since, { zone: 'UTC' }).setZone('Europe/Berlin').toISODate();
    const key = `${entry.users_id}|${day}`;
    truth.set(key, (truth.get(key) ?? 0) + entry.duration);
  }
  for (const [key, seconds] of truth) if (seconds === 0) truth.delete(key);
  return truth;
}

describe('clockodo backfill', () => {
  it('loads every user-day of a multi-week range with the same seconds as the entries summed directly', async () => {
    const result = await backfill();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await lastRun()).map((w) => [w.stream, w.start, w.end, w.status, w.rejected])).toEqual([
      ['entrygroups', '2026-09-21', '2026-09-30', 'succeeded', 0],
      ['entrygroups', '2026-10-01', '2026-10-27', 'succeeded', 0],
      ['users', FROM, TO, 'succeeded', 0],
    ]);

    // Whole local days of Europe/Berlin, DST-correct, with the grouping written as grouping[]=...
    const groupingQuery = 'grouping[]=users_id&grouping[]=day&grouping[]=customers_id&grouping[]=projects_id&grouping[]=services_id&grouping[]=billable';
    // Both GET options always sent (issue 16): project names without the customer, clockodo's revenue rule.
    const options = 'prepend_customer_to_project_name=false&calc_also_revenues_for_projects_with_hard_budget=false';
    expect(sim.requests.filter((r) => r.path === '/api/v2/entrygroups').map((r) => r.query)).toEqual(
      expect.arrayContaining([
        `time_since=2026-09-20T22:00:00Z&time_until=2026-09-30T21:59:59Z&${groupingQuery}&${options}`,
        `time_since=2026-09-30T22:00:00Z&time_until=2026-10-27T22:59:59Z&${groupingQuery}&${options}`,
      ]),
    );

    const truth = truthSeconds();
    expect(truth.size).toBeGreaterThan(200);
    expect(await viewSeconds()).toEqual(truth);

    // Names and numbers for matching with TimeClock employees; revenue present (the API user has rights).
    const { rows: users } = await db.pool.query(`SELECT DISTINCT users_id::int AS id, user_number, user_name FROM reporting.clockodo_time ORDER BY 1`);
    const byId = new Map(sim.dataset.users.map((u) => [u.id, u]));
    for (const row of users) expect(row, String(row.id)).toEqual({ id: row.id, user_number: byId.get(row.id)!.number, user_name: byId.get(row.id)!.name });
    const { rows: revenue } = await db.pool.query(`SELECT count(*) FILTER (WHERE revenue IS NULL)::int AS missing, count(DISTINCT (users_id, work_date, customers_id, projects_id, services_id, billable))::int AS keys, count(*)::int AS n FROM reporting.clockodo_time`);
    expect(revenue[0]).toMatchObject({ missing: 0 });
    expect(revenue[0].keys).toBe(revenue[0].n);

    // The rate flag arrives as hourly_rate_is_equal_and_has_no_lumpsums (the simulator's default, as the OpenAPI): stored on every row.
    const { rows: flags } = await db.pool.query(
      `SELECT count(*) FILTER (WHERE hourly_rate_is_equal_and_has_no_lump_sums IS NULL)::int AS missing, count(*) FILTER (WHERE hourly_rate_is_equal_and_has_no_lump_sums)::int AS equal FROM punchcard.ck_entrygroups`,
    );
    expect(flags[0].missing).toBe(0);
    expect(flags[0].equal).toBeGreaterThan(0);
    const { rows: projects } = await db.pool.query(`SELECT DISTINCT project_name FROM punchcard.ck_entrygroups WHERE projects_id > 0`);
    const catalogNames = new Set([...sim.dataset.projects.values()].map((p) => p.name));
    expect(projects.length).toBeGreaterThan(0);
    for (const { project_name: name } of projects) expect(catalogNames.has(name), name).toBe(true);

    const { rows: listed } = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.ck_users WHERE deleted_at IS NULL`);
    expect(listed[0].n).toBe(sim.dataset.users.length);
    const { rows: raw } = await db.pool.query(`SELECT stream, window_start::text AS start FROM punchcard.raw_answers WHERE source = 'clockodo' ORDER BY 1, 2`);
    expect(raw).toEqual([
      { stream: 'entrygroups', start: '2026-09-21' },
      { stream: 'entrygroups', start: '2026-10-01' },
      { stream: 'users', start: FROM },
    ]);
    // The kept answer is the answer, exactly (it is streamed into jsonb in pieces).
    const answer = await fetch(`${sim.url}/v2/entrygroups?time_since=2026-09-20T22:00:00Z&time_until=2026-09-30T21:59:59Z&${groupingQuery}&${options}`, {
      headers: { 'X-ClockodoApiUser': 'api-admin@punchcard.test', 'X-ClockodoApiKey': 'clockodo-admin-key', 'X-Clockodo-External-Application': 'punchcard;test@example.com' },
    });
    const { rows: kept } = await db.pool.query(`SELECT body FROM punchcard.raw_answers WHERE stream = 'entrygroups' AND window_start = '2026-09-21'`);
    expect(kept[0].body).toEqual(await answer.json());
    // Without the option, clockodo's default prepends the customer as "Customer / Project".
    const prepended = await fetch(`${sim.url}/v2/entrygroups?time_since=2026-09-20T22:00:00Z&time_until=2026-09-30T21:59:59Z&grouping[]=projects_id`, {
      headers: { 'X-ClockodoApiUser': 'api-admin@punchcard.test', 'X-ClockodoApiKey': 'clockodo-admin-key', 'X-Clockodo-External-Application': 'punchcard;test@example.com' },
    });
    const named = ((await prepended.json()) as { groups: Array<{ group: unknown; name: string }> }).groups.filter((g) => g.group !== 0);
    expect(named.length).toBeGreaterThan(0);
    for (const { name } of named) expect(name).toMatch(/^.+ \/ .+$/);
  });

  it('writes nothing when run again over unchanged data', async () => {
    const result = await backfill();
    expect(result.code).toBe(0);
    for (const w of await lastRun()) expect(w, `${w.stream} ${w.start}`).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0, deleted: 0 });
  });

  it('works where /v3/users does not exist (the entrygroups document does not promise it): users load nothing and lose nothing', async () => {
    sim.faults.add({ kind: 'http-404', match: { path: '/api/v3/users' } });
    try {
      const result = await backfill();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/\/v3\/users is not available/);
      expect((await lastRun()).map((w) => [w.stream, w.status, w.inserted + w.updated + w.deleted])).toEqual([
        ['entrygroups', 'succeeded', 0],
        ['entrygroups', 'succeeded', 0],
        ['users', 'succeeded', 0],
      ]);
      const { rows: listed } = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.ck_users WHERE deleted_at IS NULL`);
      expect(listed[0].n).toBe(sim.dataset.users.length);
      // `check` proves the key through entrygroups instead.
      const check = await runCli(['check'], env);
      expect(check.stdout).toMatch(/^ok\s+clockodo: credentials accepted at /m);
    } finally {
      sim.faults.clear();
    }
  });

  it('drops an entry deleted in clockodo from the view on the next backfill', async () => {
    const day = '2026-10-06';
    const [victim] = sim.dataset.entriesBetween(`${addDays(day, -1)}T22:00:00Z`, `${day}T21:59:59Z`).filter((e) => e.duration > 0);
    const key = `${victim!.users_id}|${day}`;
    const before = (await viewSeconds()).get(key)!;
    expect(sim.dataset.deleteEntry(victim!.id)).toBe(true);

    const result = await backfill();
    expect(result.code).toBe(0);
    const after = await viewSeconds();
    expect(after.get(key) ?? 0).toBe(before - victim!.duration);
    expect(after).toEqual(truthSeconds());
    const runs = await lastRun();
    expect(runs.find((w) => w.start === '2026-10-01')!.updated + runs.find((w) => w.start === '2026-10-01')!.deleted).toBeGreaterThan(0);
  });

  it('works with a non-default grouping order, replacing the rows of the old grouping', async () => {
    const grouping = 'day,customers_id,billable,users_id,services_id,projects_id';
    const result = await backfill({ CLOCKODO_GROUPING: grouping });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await viewSeconds()).toEqual(truthSeconds());
    const { rows } = await db.pool.query(`SELECT grouping, count(*) FILTER (WHERE deleted_at IS NULL)::int AS live FROM punchcard.ck_entrygroups GROUP BY 1 ORDER BY 1`);
    expect(rows).toEqual([
      { grouping, live: expect.any(Number) },
      { grouping: 'users_id,day,customers_id,projects_id,services_id,billable', live: 0 },
    ]);
    expect(rows[0].live).toBeGreaterThan(0);
  });

  it('merges the repeated "without project" group 0 when projects come first and customers are not grouped', async () => {
    const result = await backfill({ CLOCKODO_GROUPING: 'projects_id,day,users_id' });
    expect(result.code).toBe(0);
    expect((await lastRun()).every((w) => w.status === 'succeeded' && w.rejected === 0)).toBe(true);
    expect(await viewSeconds()).toEqual(truthSeconds());
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS merged, bool_and(projects_id = 0) AS all_without_project, bool_and(customers_id IS NULL) AS no_customer_level
       FROM punchcard.ck_entrygroups WHERE deleted_at IS NULL AND 'merged_duplicate_groups' = ANY (flags)`,
    );
    expect(rows[0]).toMatchObject({ all_without_project: true, no_customer_level: true });
    expect(rows[0].merged).toBeGreaterThan(0);
  });

  it('refuses a grouping without day before any request', async () => {
    const before = sim.requests.length;
    const result = await backfill({ CLOCKODO_GROUPING: 'users_id,customers_id' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^punchcard: CLOCKODO_GROUPING must contain "day"/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(sim.requests.length).toBe(before);
  });
});
