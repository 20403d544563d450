/**
 * Closed pay periods: `period close` freezes the month; a late edit at the source shows up as a
 * restatement with the paid and the new numbers, and the snapshot stays as paid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const TOKEN = 'period-token-31';
let sim: TimeclockSimulator;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 5, employees: 6, today: '2025-10-10' });
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const backfillSeptember = () => runCli(['backfill', '--from', '2025-09-01', '--to', '2025-09-30', '--streams', 'sessions,timesheet', '--window-days', '10'], env);

describe('closed pay periods', () => {
  it('records a late edit as a restatement and keeps the snapshot as paid', async () => {
    expect((await backfillSeptember()).code).toBe(0);
    const closed = await runCli(['period', 'close', '2025-09'], env);
    expect(closed.stdout).toMatch(/closed pay period 2025-09: \d+ employee-days frozen/);
    expect((await runCli(['period', 'close', '2025-09'], env)).stderr).toMatch(/pay period 2025-09 is already closed/);

    const session = sim.dataset.sessionsInWindow('2025-09-15', '2025-09-15').find((s) => s.absence === null && s.endDate !== null && s.lunches.length > 0)!;
    const { rows: paidRows } = await db.pool.query(
      `SELECT net_seconds::int FROM reporting.payroll_snapshots WHERE employee_number = $1 AND work_date = '2025-09-15'`,
      [session.employeeNumber],
    );
    const paid = paidRows[0].net_seconds as number;
    // The source now says the employee left 30 minutes later.
    const [h, m, s] = session.endDate!.slice(11).split(':').map(Number) as [number, number, number];
    const end = new Date(Date.UTC(2000, 0, 1, h, m + 30, s)).toISOString().slice(11, 19);
    sim.dataset.editSession(session.employeeNumber, session.startDate, { endDate: `${session.endDate!.slice(0, 10)} ${end}` });

    const resync = await backfillSeptember();
    expect(resync.code).toBe(0);
    expect(resync.stdout).toMatch(/warning: 1 change\(s\) to closed pay periods/);

    const { rows } = await db.pool.query(`SELECT month, employee_number::int, work_date::text, paid_net_seconds::int AS paid, previous_net_seconds::int AS previous, new_net_seconds::int AS now, difference_from_paid_seconds::int AS diff FROM reporting.restatements`);
    expect(rows).toEqual([{ month: '2025-09', employee_number: session.employeeNumber, work_date: '2025-09-15', paid, previous: paid, now: paid + 1800, diff: 1800 }]);
    const { rows: snapshot } = await db.pool.query(`SELECT net_seconds::int FROM reporting.payroll_snapshots WHERE employee_number = $1 AND work_date = '2025-09-15'`, [session.employeeNumber]);
    expect(snapshot).toEqual([{ net_seconds: paid }]);
    const { rows: live } = await db.pool.query(`SELECT net_seconds::int FROM reporting.payroll_daily WHERE employee_number = $1 AND work_date = '2025-09-15'`, [session.employeeNumber]);
    expect(live).toEqual([{ net_seconds: paid + 1800 }]);

    // Syncing again without further edits records nothing new.
    expect((await backfillSeptember()).stdout).not.toMatch(/closed pay periods/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM punchcard.restatements')).rows[0].n).toBe(1);
  });
});
