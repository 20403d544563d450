/**
 * Records that cannot be loaded land in punchcard.rejects with a reason; the rest of the window
 * loads. Transform and loader run for real against PostgreSQL on a hand-written answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { loadWindow } from '../../src/load/load-window.ts';
import { startRun } from '../../src/load/ledger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const window = { start: '2025-03-03', end: '2025-03-09' };

const answer = [
  {
    employeeNumber: 1265,
    email: 'a@example.com',
    sessions: [
      {
        startDate: '2025-03-03 08:00:00',
        endDate: '2025-03-03 17:00:00',
        timezone: 'Europe/Berlin',
        locationType: 'office',
        startSourceType: 'web',
        endSourceType: 'phone',
        lunches: [
          { startDate: '2025-03-03 12:00:00', endDate: '2025-03-03 12:30:00', startSourceType: 'web', endSourceType: 'web' },
          { startDate: '2025-03-03 18:00:00', endDate: '2025-03-03 18:30:00', startSourceType: 'web', endSourceType: 'web' }, // after the session: loaded, flagged
        ],
        workLogs: [
          { name: 'Ünïcode\ttask "quoted"\nline', externalId: 'DR-1', startDate: '2025-03-03 08:05:00', endDate: '2025-03-03 11:55:00', startSourceType: 'web', endSourceType: 'web' },
          { name: 'too early', externalId: 'DR-2', startDate: '2025-03-03 07:00:00', endDate: '2025-03-03 09:00:00', startSourceType: 'web', endSourceType: 'web' },
        ],
      },
      { startDate: '2025-03-04 17:00:00', endDate: '2025-03-04 08:00:00', timezone: 'Europe/Berlin', locationType: 'office', startSourceType: 'web', endSourceType: 'web', lunches: [], workLogs: [] },
    ],
  },
  { employeeNumber: 'EMP-7', email: 'b@example.com', sessions: [{ startDate: '2025-03-05 08:00:00', endDate: '2025-03-05 16:00:00', timezone: 'Europe/Berlin' }] },
  { employeeNumber: '1300', email: 'c@example.com', sessions: [{ startDate: '2025-03-05 08:00:00', endDate: '2025-03-05 16:00:00', timezone: 'Europe/Berlin', lunches: null, workLogs: null }] },
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('rejects', () => {
  it('keeps every bad record with its reason and loads the rest of the window', async () => {
    const runId = await startRun(db.pool, { kind: 'backfill', sources: ['timeclock'], streams: ['timeclock.timesheet'], from: window.start, to: window.end, windowDays: 7 });
    const batch = finalizeBatch(transformTimesheet(answer, 'acme', window));
    const counts = await loadWindow(db.pool, { runId, source: 'timeclock', account: 'acme', stream: 'timesheet', window, startedAt: new Date() }, batch);
    // Issue 16: only the end before its start makes payroll impossible; a lettered employee number
    // and a lunch or work log outside its session load (flagged).
    expect(counts).toMatchObject({ received: 4, inserted: 3 + 3 + 2 + 2, rejected: 1 });

    const { rows: rejects } = await db.pool.query(`SELECT employee_number, work_date::text, reason FROM punchcard.rejects ORDER BY reason`);
    expect(rejects).toEqual([
      { employee_number: '1265', work_date: '2025-03-04', reason: 'timesheet session: endDate 2025-03-04 08:00:00 is before startDate 2025-03-04 17:00:00' },
    ]);

    const { rows: sessions } = await db.pool.query(`SELECT employee_number, start_local::text FROM punchcard.tc_sessions ORDER BY 1`);
    expect(sessions).toEqual([
      { employee_number: '1265', start_local: '2025-03-03 08:00:00' },
      { employee_number: '1300', start_local: '2025-03-05 08:00:00' }, // "1300" and 1300 are one identity
      { employee_number: 'EMP-7', start_local: '2025-03-05 08:00:00' },
    ]);
    const { rows: lunches } = await db.pool.query(`SELECT start_local::text, flags FROM punchcard.tc_lunches ORDER BY 1`);
    expect(lunches).toEqual([
      { start_local: '2025-03-03 12:00:00', flags: [] },
      { start_local: '2025-03-03 18:00:00', flags: ['outside_session'] },
    ]);
    const { rows: logs } = await db.pool.query(`SELECT name, to_char(start_utc AT TIME ZONE 'UTC', 'HH24:MI') AS utc, flags FROM punchcard.tc_work_logs ORDER BY 2`);
    expect(logs).toEqual([
      { name: 'too early', utc: '06:00', flags: ['outside_session'] },
      { name: 'Ünïcode\ttask "quoted"\nline', utc: '07:05', flags: [] },
    ]);

    // Loading the same window again replaces its rejects instead of piling them up.
    await loadWindow(db.pool, { runId, source: 'timeclock', account: 'acme', stream: 'timesheet', window, startedAt: new Date() }, batch);
    const { rows: again } = await db.pool.query('SELECT count(*)::int AS n FROM punchcard.rejects');
    expect(again[0].n).toBe(1);
  });
});
