/**
 * PostgreSQL connections killed in the middle of a run (pg_terminate_backend, as in a server
 * restart): each window's transaction rolls back and is loaded again, or the window fails cleanly.
 * No window is ever half-written, and the warehouse ends identical to an undisturbed run.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { warehouseChecksum } from '../support/checksum.ts';
import { backfillInProcess } from '../support/backfill.ts';

const TOKEN = 'crash-token-12';
const FROM = '2025-01-06';
const TO = '2025-02-02';
let sim: TimeclockSimulator;

const backfill = (pool: pg.Pool) =>
  backfillInProcess({ pool, env: { TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN }, from: FROM, to: TO, windowDays: 3, streams: ['sessions', 'timesheet'] });

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 21, employees: 40, today: '2025-02-02' });
});
afterAll(async () => sim?.close());

describe('database connections killed mid-run', () => {
  it('never leaves a half-written window and converges', async () => {
    const reference = await createTestDatabase();
    const calm = await createTestDatabase();
    let victim: pg.Pool | undefined;
    try {
      expect((await backfill(reference.pool)).status).toBe('succeeded');
      const expected = await warehouseChecksum(reference.pool);

      victim = new pg.Pool({ connectionString: calm.url, max: 4, application_name: 'punchcard-victim' });
      victim.on('error', () => undefined);
      sim.setLatency(40);
      let kills = 0;
      const running = backfill(victim);
      let done = false;
      void running.finally(() => (done = true));
      for (let round = 0; round < 12 && !done; round++) {
        await new Promise((r) => setTimeout(r, 120));
        const { rowCount } = await calm.pool.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'punchcard-victim' AND state <> 'idle'`,
        );
        kills += rowCount ?? 0;
      }
      const summary = await running;
      sim.setLatency(0);
      expect(kills).toBeGreaterThan(0);
      for (const failure of summary.failures) expect(failure.error).toMatch(/terminat|connection/i);

      // Every window is all or nothing: committed windows hold exactly the source's sessions, the others none.
      const { rows } = await calm.pool.query(`
        SELECT w.window_start::text, w.window_end::text, bool_or(w.status = 'succeeded') AS committed,
               (SELECT count(*)::int FROM punchcard.tc_sessions s WHERE s.method = 'sessions' AND s.work_date BETWEEN w.window_start AND w.window_end) AS rows
        FROM punchcard.sync_windows w WHERE w.stream = 'sessions' GROUP BY w.window_start, w.window_end ORDER BY 1`);
      for (const row of rows) {
        const truth = sim.dataset.sessionsInWindow(row.window_start, row.window_end).filter((s) => s.absence === null).length;
        expect(row.rows, `${row.window_start}..${row.window_end}`).toBe(row.committed ? truth : 0);
      }

      const again = await backfill(victim);
      expect(again.status).toBe('succeeded');
      expect(await warehouseChecksum(calm.pool)).toEqual(expected);
    } finally {
      sim.setLatency(0);
      await victim?.end();
      await reference.drop();
      await calm.drop();
    }
  });
});
