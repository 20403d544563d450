/**
 * A backfill killed with SIGKILL (no cleanup of any kind) and restarted with --resume ends with
 * the same warehouse, row for row, as one uninterrupted run, and fetches no committed window again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli, spawnCli } from '../support/cli.ts';
import { warehouseChecksum } from '../support/checksum.ts';
import { seededRandom } from '../../src/simulators/faults.ts';

const TOKEN = 'test-token-resume-91c3';
// Two streams × seven 4-day windows, fetched one at a time.
const ARGS = ['backfill', '--from', '2025-10-01', '--to', '2025-10-28', '--streams', 'sessions,timesheet', '--window-days', '4', '--concurrency', '1'];
const WINDOWS = 14;

// Crash points: [seed, windows committed before the kill, extra milliseconds into the next window].
const CRASH_POINTS = [1, 2, 3].map((seed) => {
  const random = seededRandom(seed);
  return [seed, 1 + Math.floor(random() * (WINDOWS - 3)), Math.floor(random() * 400)] as const;
});

let sim: TimeclockSimulator;
let fresh: TestDatabase;
let reference: Record<string, string>;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 42, employees: 8, today: '2025-11-04' });
  fresh = await createTestDatabase();
  const uninterrupted = await runCli(ARGS, envFor(fresh));
  expect(uninterrupted.code).toBe(0);
  reference = await warehouseChecksum(fresh.pool);
  expect(reference['punchcard.tc_sessions']).toMatch(/^[1-9]\d*:[0-9a-f]{32}$/);
});
afterAll(async () => {
  await sim?.close();
  await fresh?.drop();
});

// A kill lands in the middle of a window, whose job the dead process still holds: the resumed run
// leaves it to the queue, which takes it up again once its heartbeat lapses (heartbeat + maintenance
// interval) and after the retry delay. Short ones keep that wait within the test's time.
const envFor = (db: TestDatabase) =>
  cliEnv({
    DATABASE_URL: db.url,
    TIMECLOCK_API_URL: sim.url,
    TIMECLOCK_API_TOKEN: TOKEN,
    PUNCHCARD_JOB_HEARTBEAT_SECONDS: '10',
    PUNCHCARD_QUEUE_MAINTENANCE_SECONDS: '1',
    PUNCHCARD_JOB_RETRY_DELAY_SECONDS: '1',
  });

async function committedWindows(db: TestDatabase) {
  const { rows } = await db.pool.query<{ stream: string; start: string; end: string }>(
    `SELECT stream, window_start::text AS start, window_end::text AS end FROM punchcard.sync_windows WHERE status = 'succeeded' ORDER BY id`,
  );
  return rows;
}

describe(`backfill --resume after SIGKILL at ${CRASH_POINTS.length} crash points`, () => {
  afterAll(() => console.log(`[coverage] crash safety: SIGKILL at ${CRASH_POINTS.length} seeded crash points, each resumed and compared row for row`));
  it.each(CRASH_POINTS)('seed %i: killed after %i committed windows + %i ms; ends row-for-row identical, fetches no committed window again', async (_seed, afterWindows, extraMs) => {
    const killed = await createTestDatabase();
    try {
      sim.setLatency(150); // slow enough to kill in the middle
      const child = spawnCli(ARGS, envFor(killed), { stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 30_000;
      while ((await committedWindows(killed).catch(() => [])).length < afterWindows) {
        if (Date.now() > deadline) throw new Error(`${afterWindows} windows not committed within 30 s`);
        await sleep(20);
      }
      await sleep(extraMs);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const committed = await committedWindows(killed);
      expect(committed.length).toBeGreaterThan(0);
      expect(committed.length).toBeLessThan(WINDOWS);
      const { rows: left } = await killed.pool.query(`SELECT status FROM punchcard.sync_runs`);
      expect(left).toEqual([{ status: 'running' }]);

      sim.setLatency(0);
      sim.requests.length = 0;
      const resumed = await runCli([...ARGS, '--resume'], envFor(killed));
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(new RegExp(`${committed.length} already committed \\(of ${WINDOWS}\\)`));

      // Not one request fell inside a window the killed run had committed.
      const refetched = sim.requests.filter((r) => {
        const { startDate, endDate } = r.params as { startDate: string; endDate: string };
        return committed.some((w) => w.stream === r.rpcMethod && startDate >= w.start && endDate <= w.end);
      });
      expect(refetched).toEqual([]);
      const { rows: runs } = await killed.pool.query(`SELECT status FROM punchcard.sync_runs`);
      expect(runs).toEqual([{ status: 'succeeded' }]);

      expect(await warehouseChecksum(killed.pool)).toEqual(reference);
    } finally {
      sim.setLatency(0);
      await killed.drop();
    }
  });
});
