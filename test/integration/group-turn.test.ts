/**
 * The fleet-wide cap of one entrygroups month per clockodo account, when pg-boss has admitted two
 * months at once (two hands fetching at the same instant each see the group below its cap). Here
 * both months are fetched in one go, which leaves the queue in exactly that state; each is then
 * worked as a worker's hand works it. Whichever takes the group's slot first, the other must not
 * send its request until the first has committed.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Job } from 'pg-boss';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startRun } from '../../src/load/ledger.ts';
import { groupOf, groupTiers, openQueue, WINDOW_QUEUE, type WindowJobData } from '../../src/queue/boss.ts';
import { takeGroupSlot } from '../../src/queue/group-turn.ts';
import { fleetStreams, processWindowJob } from '../../src/queue/runs.ts';
import { DEFAULT_API_USERS, startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { dbTest } from '../support/database.ts';

const USER = DEFAULT_API_USERS[0]!;
let timeclock: TimeclockSimulator;
let clockodo: ClockodoSimulator;

beforeAll(async () => {
  timeclock = await startTimeclockSimulator({ token: 'test-token-group-turn-8c2d', seed: 8, employees: 3, today: '2025-07-01' });
  clockodo = await startClockodoSimulator({ attendance: timeclock.dataset, seed: 8, latencyMs: 400 });
});
afterAll(async () => {
  await timeclock?.close();
  await clockodo?.close();
});

describe('a group admitted past its cap by simultaneous fetches', () => {
  dbTest('the later month waits for the earlier one to commit before it sends its request', async ({ db }) => {
    const config = loadConfig({
      TIMECLOCK_API_URL: timeclock.url,
      TIMECLOCK_API_TOKEN: 'test-token-group-turn-8c2d',
      CLOCKODO_API_URL: clockodo.url,
      CLOCKODO_API_USER: USER.email,
      CLOCKODO_API_KEY: USER.apiKey,
      CLOCKODO_ENTRYGROUPS_PER_MINUTE: '1000',
    });
    const boss = await openQueue(db.url, config.queue, silentLogger(), { role: 'test', register: false });
    try {
      const runId = await startRun(db.pool, { kind: 'backfill', sources: ['clockodo'], streams: ['clockodo.entrygroups'], from: '2025-04-01', to: '2025-05-31', windowDays: 31 }, 2);
      const group = groupOf('clockodo', 'default', 'entrygroups')!;
      for (const [start, end] of [['2025-04-01', '2025-04-30'], ['2025-05-01', '2025-05-31']] as const) {
        await boss.send(WINDOW_QUEUE, { runId, source: 'clockodo', account: 'default', stream: 'entrygroups', start, end } satisfies WindowJobData, { group });
      }
      // Both active at once: what two hands polling at the same instant can leave.
      const jobs = (await boss.fetch<WindowJobData>(WINDOW_QUEUE, { batchSize: 2 })) as Job<WindowJobData>[];
      expect(jobs).toHaveLength(2);
      expect(jobs.every((job) => job.groupId === group.id)).toBe(true);

      const groupSlots = new pg.Pool({ connectionString: db.url, max: 2 });
      groupSlots.on('error', () => undefined); // sessions ended by DROP DATABASE ... WITH (FORCE)
      const deps = { pool: db.pool, logger: silentLogger(), streams: fleetStreams(config, db.pool, silentLogger()), groupTiers: groupTiers(config), groupSlots };
      const before = clockodo.requests.length;
      // As a worker's hand does: the job is completed once its handler returns.
      try {
        await Promise.all(jobs.map((job) => processWindowJob(deps, job).then(() => boss.complete(WINDOW_QUEUE, job.id))));
      } finally {
        await groupSlots.end();
      }

      const { rows: months } = await db.pool.query<{ started: Date; finished: Date }>(
        `SELECT started_at AS started, finished_at AS finished FROM punchcard.sync_windows WHERE run_id = $1 AND status = 'succeeded' ORDER BY started_at`,
        [runId],
      );
      expect(months).toHaveLength(2);
      const gets = clockodo.requests.slice(before).filter((r) => r.httpMethod === 'GET' && r.path === '/api/v2/entrygroups');
      expect(gets).toHaveLength(2);
      // Each request 400 ms long: had both gone at once, the second would have arrived before the first month committed.
      const [first, second] = gets.map((r) => r.at.getTime()).sort((a, b) => a - b);
      expect(second!).toBeGreaterThanOrEqual(months[0]!.finished.getTime());
      expect(months[1]!.started.getTime()).toBeGreaterThanOrEqual(months[0]!.finished.getTime());
      expect(second! - first!).toBeGreaterThanOrEqual(400);
    } finally {
      await boss.stop({ graceful: false });
    }
  });
});

describe('a group slot waited for', () => {
  dbTest('is given up when the job is not needed any more, leaving the holder its slot and the pool its connection', async ({ db }) => {
    const slots = new pg.Pool({ connectionString: db.url, max: 3 });
    slots.on('error', () => undefined); // sessions ended by DROP DATABASE ... WITH (FORCE)
    const advisoryLocks = async () =>
      Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows[0]!.n);
    try {
      const group = { id: 'clockodo:acme:entrygroups', cap: 1 };
      const noWait = () => {
        throw new Error('a free slot must be taken without waiting');
      };
      const holder = await takeGroupSlot(slots, group, noWait, async () => false, 20);
      expect(holder).toBeDefined();

      let waits = 0;
      let polls = 0;
      // The run stops while the second job waits: it gives up after its third look.
      const waiter = await takeGroupSlot(slots, group, () => waits++, async () => ++polls >= 3, 20);
      expect(waiter).toBeUndefined();
      expect(waits).toBe(1);
      expect(polls).toBe(3);
      expect(await advisoryLocks()).toBe(1); // the holder's slot, and nothing taken by the waiter
      expect(slots.totalCount - slots.idleCount).toBe(1); // the waiter's connection went back

      // Another group has its own slots; once the holder releases, the next job takes the slot at once.
      const other = await takeGroupSlot(slots, { id: 'clockodo:other:entrygroups', cap: 1 }, noWait, async () => false, 20);
      await other!.release();
      await holder!.release();
      await holder!.release(); // twice is harmless
      const next = await takeGroupSlot(slots, group, noWait, async () => false, 20);
      expect(next).toBeDefined();
      await next!.release();
      expect(await advisoryLocks()).toBe(0);
      expect(slots.totalCount - slots.idleCount).toBe(0);
    } finally {
      // Not waited for past a moment: a connection the code under test leaked would keep end() waiting,
      // and the test would fail as a timeout instead of at the assertion that names the leak
      // (DROP DATABASE … WITH (FORCE) ends that connection afterwards).
      await Promise.race([slots.end(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    }
  });
});
