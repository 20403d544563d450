/**
 * Two attempts at one window of one run at the same time (a job retried while its first worker
 * was only slow): both fetch and load, one commits, the other rolls back whole. One ledger row,
 * the run counted down once and settled.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Job } from 'pg-boss';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startRun } from '../../src/load/ledger.ts';
import type { WindowJobData } from '../../src/queue/boss.ts';
import { fleetStreams, processWindowJob } from '../../src/queue/runs.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { dbTest } from '../support/database.ts';

const TOKEN = 'test-token-exactly-once-2b7e';
let sim: TimeclockSimulator;
beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 3, employees: 4, today: '2025-07-01', latencyMs: 400 });
});
afterAll(async () => sim?.close());

describe('a window job taken twice at once', () => {
  dbTest('commits once; the second attempt rolls back and the run is settled once', async ({ db }) => {
    const config = loadConfig({ TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN });
    const runId = await startRun(db.pool, { kind: 'backfill', sources: ['timeclock'], streams: ['timeclock.sessions'], from: '2025-06-02', to: '2025-06-08', windowDays: 7 }, 1);
    const deps = { pool: db.pool, logger: silentLogger(), streams: fleetStreams(config, db.pool, silentLogger()) };
    const job = (retryCount: number) =>
      ({ id: `job-${retryCount}`, retryCount, data: { runId, source: 'timeclock', account: 'default', stream: 'sessions', start: '2025-06-02', end: '2025-06-08' } }) as Job<WindowJobData>;
    const outcomes = await Promise.all([processWindowJob(deps, job(0)), processWindowJob(deps, job(1))]);
    // Both fetched (the second did not wait for the first), one load counted.
    expect(sim.requests.filter((r) => r.rpcMethod === 'sessions')).toHaveLength(2);
    expect(outcomes.filter((o) => o !== undefined)).toHaveLength(1);
    const { rows: ledger } = await db.pool.query(`SELECT status FROM punchcard.sync_windows WHERE run_id = $1`, [runId]);
    expect(ledger).toEqual([{ status: 'succeeded' }]);
    const { rows: run } = await db.pool.query(`SELECT status, windows_pending FROM punchcard.sync_runs WHERE id = $1`, [runId]);
    expect(run).toEqual([{ status: 'succeeded', windows_pending: 0 }]);
  });
});
