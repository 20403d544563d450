/**
 * An unchanged source re-synced writes nothing — across window boundaries too. Windows of one day
 * put every night shift's after-midnight lunch at a boundary: the timesheet returns it with its
 * session (the earlier window), the lunches method with its own date (the later one). Each
 * window must own exactly what it is sent, or the two windows keep deleting and restoring it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isNightWorker, startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const TOKEN = 'resync-token-7';
let sim: TimeclockSimulator;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 11, employees: 14, today: '2025-03-20' });
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const backfill = () => runCli(['backfill', '--from', '2025-03-03', '--to', '2025-03-09', '--window-days', '1'], env);

it('re-syncing unchanged one-day windows inserts, updates and deletes nothing, and night lunches stay live', async () => {
  const first = await backfill();
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toMatch(/0 marked deleted/);

  const { rows: night } = await db.pool.query<{ employee_number: string; reported_by_lunches: boolean }>(
    `SELECT t.employee_number::text,
            EXISTS (SELECT 1 FROM punchcard.tc_lunches l WHERE l.method = 'lunches' AND l.deleted_at IS NULL
                      AND l.employee_number = t.employee_number AND l.start_local = t.start_local) AS reported_by_lunches
     FROM punchcard.tc_lunches t
     WHERE t.method = 'timesheet' AND t.deleted_at IS NULL AND t.start_local::date > t.session_start_local::date
       AND t.session_start_local::date < '2025-03-09'`,
  );
  // The fixture must exercise the boundary: after-midnight lunches of night workers, from both methods.
  expect(night.length).toBeGreaterThan(0);
  expect(night.every((r) => isNightWorker(Number(r.employee_number)) && r.reported_by_lunches)).toBe(true);

  const { rows: before } = await db.pool.query<{ snapshot: string }>(`SELECT string_agg(xmin::text, ',' ORDER BY method, employee_number, start_local) AS snapshot FROM punchcard.tc_lunches`);
  const second = await backfill();
  expect(second.code, second.stderr).toBe(0);
  expect(second.stdout).toMatch(/rows: \d+ received, 0 inserted, 0 updated, 0 marked deleted, 0 rejected/);
  const { rows: after } = await db.pool.query<{ snapshot: string }>(`SELECT string_agg(xmin::text, ',' ORDER BY method, employee_number, start_local) AS snapshot FROM punchcard.tc_lunches`);
  expect(after[0]!.snapshot).toBe(before[0]!.snapshot);
  const { rows: deleted } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM punchcard.tc_lunches WHERE deleted_at IS NOT NULL`);
  expect(deleted[0]!.n).toBe(0);
});
