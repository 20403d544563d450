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
import { disposeWindow } from '../../src/pipeline/window.ts';
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

  it('an answer its job does not take is freed: after its time, at close, when a retry takes the job; none while other workers live', async () => {
    const db = await newDatabase();
    const tmp = await mkdtemp(path.join(spoolRoot, 'ttl-'));
    const previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // where this process's spools go
    const config = loadConfig({ TIMECLOCK_API_URL: timeclock.url, TIMECLOCK_API_TOKEN: TOKEN, CLOCKODO_API_URL: clockodo.url, CLOCKODO_API_USER: USER.email, CLOCKODO_API_KEY: USER.apiKey, CLOCKODO_ENTRYGROUPS_PER_MINUTE: '1000' });
    const boss = await openQueue(db.url, config.queue, silentLogger(), { role: 'test', register: false });
    try {
      const runId = await startRun(db.pool, { kind: 'backfill', sources: ['clockodo'], streams: ['clockodo.entrygroups'], from: MONTHS[0][0], to: MONTHS[1][1], windowDays: 31 }, 2);
      const group = groupOf('clockodo', 'default', 'entrygroups')!;
      const ids: string[] = [];
      for (const [start, end] of MONTHS.slice(0, 2)) ids.push((await boss.send(WINDOW_QUEUE, { runId, source: 'clockodo', account: 'default', stream: 'entrygroups', start, end } satisfies WindowJobData, { group }))!);
      // The first month is in a hand; the second waits on the queue.
      expect((await boss.fetch<WindowJobData>(WINDOW_QUEUE))?.map((job) => job.id)).toEqual([ids[0]]);
      const stream = fleetStreams(config, db.pool, silentLogger()).get('clockodo|default|entrygroups')!;
      const current = { id: ids[0]!, retryCount: 0, groupId: group.id };
      const second = { id: ids[1]!, retryCount: 0, groupId: group.id };
      const gets = () => clockodo.requests.filter((r) => r.httpMethod === 'GET' && r.path === '/api/v2/entrygroups').length;
      const prefetching = async (options: { ttlMs?: number; alone?: boolean }) => {
        const prefetcher = createPrefetcher(db.pool, silentLogger(), () => stream, { alone: async () => options.alone ?? true, ttlMs: options.ttlMs });
        prefetcher.startAfter(current, stream);
        return prefetcher;
      };

      // Another worker is live: nothing is fetched ahead.
      const before = gets();
      const crowded = await prefetching({ alone: false });
      expect(await crowded.take(second)).toBeUndefined();
      expect(gets()).toBe(before);
      await crowded.close();

      // Nobody takes it: freed once its time is up.
      const expiring = await prefetching({ ttlMs: 1_500 });
      await expect.poll(() => spools(tmp), { timeout: 10_000, interval: 50 }).toHaveLength(1);
      await expect.poll(() => spools(tmp), { timeout: 10_000 }).toEqual([]);
      expect(await expiring.take(second)).toBeUndefined();
      await expiring.close();

      // The worker stops first.
      const stopping = await prefetching({});
      await expect.poll(() => spools(tmp), { timeout: 10_000, interval: 50 }).toHaveLength(1);
      await stopping.close();
      expect(await spools(tmp)).toEqual([]);

      // A retry of the job (its first attempt went elsewhere) fetches afresh: the old answer is freed.
      const retried = await prefetching({});
      await expect.poll(() => spools(tmp), { timeout: 10_000, interval: 50 }).toHaveLength(1);
      expect(await retried.take({ ...second, retryCount: 1 })).toBeUndefined();
      await expect.poll(() => spools(tmp), { timeout: 10_000 }).toEqual([]);

      // Its own job, first attempt: the answer is handed over, and the taker frees it.
      const taken = await prefetching({});
      const prepared = await taken.take(second);
      expect(prepared?.kind).toBe('spooled');
      await taken.close();
      expect(await spools(tmp)).toHaveLength(1);
      await disposeWindow(prepared);
      expect(await spools(tmp)).toEqual([]);
    } finally {
      process.env.TMPDIR = previousTmp;
      if (previousTmp === undefined) delete process.env.TMPDIR;
      await boss.stop({ graceful: false });
    }
  });
});
