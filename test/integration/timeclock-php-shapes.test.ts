/**
 * Issue 16, point 12, end to end: the simulator sends the same data in the shapes the document
 * leaves open (employee numbers as strings, groups keyed by id, isAbsence 0/1, numbers as digit
 * strings). Every record loads and payroll is to the second what the document's shapes give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { backfillInProcess } from '../support/backfill.ts';

const TOKEN = 'php-shapes-token';
const FROM = '2025-10-20';
const TO = '2025-11-02';
const sims: TimeclockSimulator[] = [];
const dbs: Record<'document' | 'php', TestDatabase> = {} as never;

beforeAll(async () => {
  for (const shapes of ['document', 'php'] as const) {
    const sim = await startTimeclockSimulator({ token: TOKEN, seed: 16, employees: 8, today: TO, shapes });
    sims.push(sim);
    dbs[shapes] = await createTestDatabase();
    const summary = await backfillInProcess({ pool: dbs[shapes].pool, env: { TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN }, from: FROM, to: TO, windowDays: 7 });
    expect(summary.status).toBe('succeeded');
  }
});
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await Promise.all(Object.values(dbs).map((d) => d.drop()));
});

const payroll = (db: TestDatabase) =>
  db.pool
    .query(`SELECT employee_number, work_date::text, worked_seconds::int, lunch_seconds::int, net_seconds::int, absence_seconds::int, expected_seconds::int
            FROM reporting.payroll_daily ORDER BY 1, 2`)
    .then((r) => r.rows);

describe('PHP-shaped answers', () => {
  it('load without a reject and give the same payroll as the document-shaped ones', async () => {
    for (const db of Object.values(dbs)) {
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.rejects`);
      expect(rows).toEqual([{ n: 0 }]);
    }
    const expected = await payroll(dbs.document);
    expect(expected.length).toBeGreaterThan(40);
    expect(expected.some((d) => d.absence_seconds > 0)).toBe(true);
    expect(await payroll(dbs.php)).toEqual(expected);
  });

  it('flags the shapes it read and keeps groups as sent', async () => {
    const { rows } = await dbs.php.pool.query(`
      SELECT (SELECT count(*)::int FROM punchcard.tc_sessions WHERE method = 'extended-sessions'
                AND NOT flags @> CASE WHEN reported_duration_seconds IS NULL THEN ARRAY['is_absence_unexpected_shape'] ELSE ARRAY['is_absence_unexpected_shape', 'duration_unexpected_shape'] END) AS unflagged_sessions,
             (SELECT count(*)::int FROM punchcard.tc_absences WHERE flags @> ARRAY['is_absence_unexpected_shape']) AS absences,
             (SELECT count(*)::int FROM punchcard.tc_employees WHERE jsonb_typeof(groups) = 'object' AND flags @> ARRAY['groups_unexpected_shape', 'id_unexpected_shape']) AS grouped,
             (SELECT count(*)::int FROM punchcard.tc_employees) AS employees`);
    expect(rows[0]).toMatchObject({ unflagged_sessions: 0, grouped: rows[0].employees });
    expect(rows[0].absences).toBeGreaterThan(0);
  });
});
