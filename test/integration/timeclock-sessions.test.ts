/**
 * The spine end to end: simulator → client → transform → loader → reporting.work_sessions,
 * driven through the real CLI into a fresh database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const TOKEN = 'test-token-4f9a1c2e';
const FROM = '2025-10-22';
const TO = '2025-11-04';

let sim: TimeclockSimulator;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 42, employees: 12, today: '2025-11-04' });
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const backfill = () => runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'sessions', '--window-days', '7'], env);

async function lastRunCounts() {
  const { rows } = await db.pool.query(
    `SELECT sum(rows_inserted)::int AS inserted, sum(rows_updated)::int AS updated, sum(rows_deleted)::int AS deleted,
            count(*)::int AS windows, bool_and(status = 'succeeded') AS ok
     FROM punchcard.sync_windows WHERE run_id = (SELECT max(id) FROM punchcard.sync_runs)`,
  );
  return rows[0];
}

describe('backfill of the sessions stream', () => {
  it('loads every session of the range once, with DST-correct UTC stamps', async () => {
    const result = await backfill();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/succeeded/);

    const truth = sim.dataset.sessionsInWindow(FROM, TO).filter((s) => s.absence === null);
    const { rows: count } = await db.pool.query('SELECT count(*)::int AS n, count(DISTINCT (employee_number, start_local))::int AS distinct_keys FROM reporting.work_sessions');
    expect(count[0]).toEqual({ n: truth.length, distinct_keys: truth.length });

    // Hand-computed instants (offsets: Berlin CEST +2 → CET +1 on 10-26, New York EDT -4 → EST -5 on 11-02).
    const { rows } = await db.pool.query(
      `SELECT employee_number::int, start_local::text, to_char(start_utc AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS start_utc,
              to_char(end_utc AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS end_utc, duration_seconds, flags, work_date::text
       FROM reporting.work_sessions
       WHERE (employee_number, start_local) IN (('1006', '2025-10-26 02:30:00'), ('1002', '2025-10-25 22:00:00'), ('1011', '2025-11-02 01:30:00'))
       ORDER BY employee_number::int`,
    );
    expect(rows).toEqual([
      { employee_number: 1002, start_local: '2025-10-25 22:00:00', start_utc: '2025-10-25T20:00:00Z', end_utc: '2025-10-26T00:30:00Z', duration_seconds: 16_200, flags: ['end_in_dst_overlap'], work_date: '2025-10-25' },
      { employee_number: 1006, start_local: '2025-10-26 02:30:00', start_utc: '2025-10-26T00:30:00Z', end_utc: '2025-10-26T08:00:00Z', duration_seconds: 27_000, flags: ['start_in_dst_overlap'], work_date: '2025-10-26' },
      { employee_number: 1011, start_local: '2025-11-02 01:30:00', start_utc: '2025-11-02T05:30:00Z', end_utc: '2025-11-02T14:00:00Z', duration_seconds: 30_600, flags: ['start_in_dst_overlap'], work_date: '2025-11-02' },
    ]);

    // Every planted DST session agrees with the simulator's own (independent) elapsed-time arithmetic.
    const served = new Set(truth.map((s) => `${s.employeeNumber} ${s.startDate}`));
    const plants = sim.dataset.dstPlants(2025).filter((p) => served.has(`${p.employeeNumber} ${p.startDate}`));
    expect(plants.length).toBeGreaterThanOrEqual(5);
    for (const plant of plants) {
      const { rows: found } = await db.pool.query('SELECT duration_seconds FROM reporting.work_sessions WHERE employee_number = $1 AND start_local = $2', [plant.employeeNumber, plant.startDate]);
      expect(found, `${plant.employeeNumber} ${plant.startDate}`).toEqual([{ duration_seconds: plant.duration }]);
    }

    // The employee still clocked in on "today" has an open session.
    const { rows: open } = await db.pool.query('SELECT count(*)::int AS n FROM reporting.work_sessions WHERE end_utc IS NULL AND duration_seconds IS NULL');
    expect(open[0].n).toBe(truth.filter((s) => s.endDate === null).length);
    expect(open[0].n).toBeGreaterThan(0);
  });

  it('writes nothing when run again over unchanged data', async () => {
    const before = await db.pool.query('SELECT max(updated_at) AS at FROM punchcard.tc_sessions');
    const result = await backfill();
    expect(result.code).toBe(0);
    expect(await lastRunCounts()).toEqual({ inserted: 0, updated: 0, deleted: 0, windows: 2, ok: true });
    const after = await db.pool.query('SELECT max(updated_at) AS at FROM punchcard.tc_sessions');
    expect(after.rows[0].at).toEqual(before.rows[0].at);
  });

  it('applies an edit and marks a deletion on the next run, duplicating nothing', async () => {
    const [edited, removed] = sim.dataset.sessionsInWindow('2025-10-28', '2025-10-28').filter((s) => s.absence === null && s.endDate !== null);
    sim.dataset.editSession(edited!.employeeNumber, edited!.startDate, { endDate: '2025-10-28 23:59:59' });
    sim.dataset.deleteSession(removed!.employeeNumber, removed!.startDate);

    const result = await backfill();
    expect(result.code).toBe(0);
    expect(await lastRunCounts()).toEqual({ inserted: 0, updated: 1, deleted: 1, windows: 2, ok: true });

    const { rows: view } = await db.pool.query('SELECT employee_number::int, start_local::text, end_local::text FROM reporting.work_sessions WHERE employee_number = ANY($1) AND work_date = $2 ORDER BY 1', [
      [edited!.employeeNumber, removed!.employeeNumber],
      '2025-10-28',
    ]);
    expect(view).toContainEqual({ employee_number: edited!.employeeNumber, start_local: edited!.startDate, end_local: '2025-10-28 23:59:59' });
    expect(view.find((r) => r.employee_number === removed!.employeeNumber && r.start_local === removed!.startDate)).toBeUndefined();

    const { rows: kept } = await db.pool.query('SELECT deleted_at IS NOT NULL AS deleted FROM punchcard.tc_sessions WHERE employee_number = $1 AND start_local = $2', [
      removed!.employeeNumber,
      removed!.startDate,
    ]);
    expect(kept).toEqual([{ deleted: true }]);
    const truth = sim.dataset.sessionsInWindow(FROM, TO).filter((s) => s.absence === null);
    const { rows: count } = await db.pool.query('SELECT count(*)::int AS n FROM reporting.work_sessions');
    expect(count[0].n).toBe(truth.length);
  });
});
