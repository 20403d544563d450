/**
 * An account's entrygroups months on the queue, one after another: each month's answer is fetched
 * while the month before it loads, and its job loads that answer. Every month is requested once,
 * one request at a time; the warehouse is the one that month-by-month runs (nothing to prefetch)
 * give; no spool is left behind, also when the prefetched answer's job went to another worker.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startRun } from '../../src/load/ledger.ts';
import { groupOf, openQueue, WINDOW_QUEUE, type WindowJobData } from '../../src/queue/boss.ts';
import { createPrefetcher } from '../../src/queue/prefetch.ts';
import { fleetStreams } from '../../src/queue/runs.ts';
import { DEFAULT_API_USERS, startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const TOKEN = 'test-token-prefetch-41c9';
const USER = DEFAULT_API_USERS[0]!;
const MONTHS = [
  ['2025-03-01', '2025-03-31'],
  ['2025-04-01', '2025-04-30'],
  ['2025-05-01', '2025-05-31'],
] as const;

let timeclock: TimeclockSimulator;
let clockodo: ClockodoSimulator;
let spoolRoot: string;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  timeclock = await startTimeclockSimulator({ token: TOKEN, seed: 31, employees: 6, today: '2025-07-01' });
  clockodo = await startClockodoSimulator({ attendance: timeclock.dataset, seed: 31, latencyMs: 300 });
  spoolRoot = await mkdtemp(path.join(tmpdir(), 'pc-prefetch-test-'));
});

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  await timeclock?.close();
  await clockodo?.close();
  await rm(spoolRoot, { recursive: true, force: true });
});

const env = (db: TestDatabase, tmp: string) =>
  cliEnv({
    DATABASE_URL: db.url,
    TIMECLOCK_API_URL: timeclock.url,
    TIMECLOCK_API_TOKEN: TOKEN,
    CLOCKODO_API_URL: clockodo.url,
    CLOCKODO_API_USER: USER.email,
    CLOCKODO_API_KEY: USER.apiKey,
    CLOCKODO_ENTRYGROUPS_PER_MINUTE: '1000',
    LOG_LEVEL: 'info',
    TMPDIR: tmp,
  });

async function newDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

/** What a BI user sees of the months: every entrygroups row, bookkeeping columns aside. */
async function entrygroups(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.pool.query<{ row: string }>(
    `SELECT (to_jsonb(e) - 'first_seen_at' - 'updated_at' - 'deleted_at')::text AS row FROM punchcard.ck_entrygroups e ORDER BY 1`,
  );
  return rows.map((r) => r.row);
}

/** punchcard's spool and answer folders in `dir` (Node keeps its compile cache there too). */
const spools = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith('punchcard-'));

const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; window?: string; prefetched?: boolean });

describe('entrygroups months on the queue', () => {
  it('each month is fetched while the one before loads: requested once, one request at a time, the same warehouse', async () => {
    const tmp = await mkdtemp(path.join(spoolRoot, 'run-'));
    const db = await newDatabase();
    const before = clockodo.requests.length;
    const result = await runCli(['backfill', '--from', MONTHS[0][0], '--to', MONTHS[2][1], '--streams', 'entrygroups', '--concurrency', '1'], env(db, tmp));
    expect(result.code, result.stderr).toBe(0);

    const done = logLines(result.stderr).filter((line) => line.msg === 'window done' && line.prefetched !== undefined);
    expect(done.map((line) => [line.window, line.prefetched])).toEqual([
      [`${MONTHS[0][0]}..${MONTHS[0][1]}`, false],
      [`${MONTHS[1][0]}..${MONTHS[1][1]}`, true],
      [`${MONTHS[2][0]}..${MONTHS[2][1]}`, true],
    ]);
    const gets = clockodo.requests.slice(before).filter((r) => r.httpMethod === 'GET' && r.path === '/api/v2/entrygroups');
    expect(gets).toHaveLength(3);
    for (let i = 1; i < gets.length; i++) expect(gets[i]!.at.getTime()).toBeGreaterThanOrEqual(gets[i - 1]!.endedAt!.getTime());
    expect(await spools(tmp)).toEqual([]);

    // Month by month, nothing to prefetch: the same rows.
    const alone = await newDatabase();
    for (const [from, to] of MONTHS) {
      const one = await runCli(['backfill', '--from', from, '--to', to, '--streams', 'entrygroups'], env(alone, tmp));
      expect(one.code, one.stderr).toBe(0);
      expect(logLines(one.stderr).some((line) => line.prefetched === true)).toBe(false);
    }
    const rows = await entrygroups(db);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows).toEqual(await entrygroups(alone));
  });

  it('a prefetched answer whose job another worker takes is freed after its time, and at close', async () => {
    const db = await newDatabase();
    const tmp = await mkdtemp(path.join(spoolRoot, 'ttl-'));
    const previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // where this process's spools go
    const config = loadConfig({ TIMECLOCK_API_URL: timeclock.url, TIMECLOCK_API_TOKEN: TOKEN, CLOCKODO_API_URL: clockodo.url, CLOCKODO_API_USER: USER.email, CLOCKODO_API_KEY: USER.apiKey, CLOCKODO_ENTRYGROUPS_PER_MINUTE: '1000' });
    const boss = await openQueue(db.url, config.queue, silentLogger(), { role: 'test', register: false });
    try {
      const runId = await startRun(db.pool, { kind: 'backfill', sources: ['clockodo'], streams: ['clockodo.entrygroups'], from: MONTHS[0][0], to: MONTHS[1][1], windowDays: 31 }, 2);
      const group = groupOf('clockodo', 'default', 'entrygroups')!;
      const data = MONTHS.slice(0, 2).map(([start, end]) => ({ runId, source: 'clockodo', account: 'default', stream: 'entrygroups', start, end }) satisfies WindowJobData);
      for (const d of data) await boss.send(WINDOW_QUEUE, d, { group });
      const streams = fleetStreams(config, db.pool, silentLogger());
      const stream = streams.get(`clockodo|default|entrygroups`)!;
      for (const ttlMs of [1_500, 60_000]) {
        const prefetcher = createPrefetcher(db.pool, silentLogger(), () => stream, ttlMs);
        // The first month's answer is in: the second month (still waiting on the queue) is fetched.
        prefetcher.startAfter({ groupId: group.id, data: data[0]! }, stream);
        await expect.poll(() => spools(tmp), { timeout: 10_000, interval: 50 }).toHaveLength(1);
        if (ttlMs === 1_500) {
          // Nobody takes it here: freed once its time is up.
          await expect.poll(() => spools(tmp), { timeout: 10_000 }).toEqual([]);
          expect(await prefetcher.take({ groupId: group.id, data: data[1]! })).toBeUndefined();
        } else {
          await prefetcher.close();
          expect(await spools(tmp)).toEqual([]);
        }
      }
    } finally {
      process.env.TMPDIR = previousTmp;
      if (previousTmp === undefined) delete process.env.TMPDIR;
      await boss.stop({ graceful: false });
    }
  });
});
