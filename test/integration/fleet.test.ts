/**
 * Many accounts, many workers: 3 `punchcard worker` processes (separate OS processes) and 10
 * accounts per source on the simulators. Every window is committed exactly once and the warehouse
 * equals the same backfill by one process; a worker SIGKILLed mid-job has its window completed by
 * another; no clockodo API user exceeds its limit in any span; two workers ticking in the same
 * instant start one nightly run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { warehouseChecksum } from '../support/checksum.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { fleetAccounts, ledgerCounts, startWorker, waitForRun, type FleetAccounts, type WorkerProcess } from '../support/fleet.ts';
import { backfillInProcess } from '../support/backfill.ts';

const ACCOUNTS = 10;
const FROM = '2025-09-01';
const TO = '2025-11-30';
// Three entrygroups months per account against a limit of 2 per 3 s: the third month must wait.
const PER_SPAN = 2;
const SPAN_SECONDS = 3;

let timeclock: TimeclockSimulator;
let clockodo: ClockodoSimulator;
let fleet: FleetAccounts;
const databases: TestDatabase[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  const tokens = Array.from({ length: ACCOUNTS }, (_, i) => `fleet-tc-token-${i}`);
  timeclock = await startTimeclockSimulator({ token: tokens[0]!, tokens, seed: 15, employees: 4, today: '2025-12-01' });
  const users = Array.from({ length: ACCOUNTS }, (_, i) => ({ email: `api-${i}@fleet.test`, apiKey: `fleet-ck-key-${i}`, revenueRights: true }));
  clockodo = await startClockodoSimulator({ attendance: timeclock.dataset, seed: 15, apiUsers: users, entrygroupsPerMinute: PER_SPAN, rateSpanMs: SPAN_SECONDS * 1000 });
  fleet = fleetAccounts(ACCOUNTS, { timeclock: timeclock.url, clockodo: clockodo.url }, { windowDays: 31, perSpan: PER_SPAN, spanSeconds: SPAN_SECONDS });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(databases.map((db) => db.drop()));
  await timeclock?.close();
  await clockodo?.close();
});

const newDatabase = async () => {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
};

const envFor = (db: TestDatabase, extra: Record<string, string> = {}) =>
  cliEnv({ DATABASE_URL: db.url, PUNCHCARD_ACCOUNTS: fleet.file, ...fleet.env, PUNCHCARD_QUEUE_MAINTENANCE_SECONDS: '1', PUNCHCARD_JOB_RETRY_DELAY_SECONDS: '1', ...extra });

const runIdOf = (stdout: string) => Number(/run (\d+)/.exec(stdout)?.[1]);

/** For each API user: the most entrygroups GETs that arrived within any span of `spanMs`. */
function busiestSpan(spanMs: number): Map<string, number> {
  const byUser = new Map<string, number[]>();
  for (const request of clockodo.requests) {
    if (request.httpMethod !== 'GET' || request.path !== '/api/v2/entrygroups' || !request.apiUser) continue;
    byUser.set(request.apiUser, [...(byUser.get(request.apiUser) ?? []), request.at.getTime()]);
  }
  const most = new Map<string, number>();
  for (const [user, times] of byUser) {
    times.sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= spanMs) j++;
      best = Math.max(best, i - j + 1);
    }
    most.set(user, best);
  }
  return most;
}

describe('a fleet of worker processes', () => {
  it('3 workers, 10 accounts per source: every window committed once, the same warehouse as one process, clockodo limits held', async () => {
    const single = await newDatabase();
    const alone = await runCli(['backfill', '--from', FROM, '--to', TO], envFor(single), { timeoutMs: 240_000 });
    expect(alone.stderr).toBe('');
    expect(alone.code).toBe(0);

    const db = await newDatabase();
    // The workers install the queue; start them first and let them settle in.
    const three = [0, 1, 2].map(() => startWorker(envFor(db, { PUNCHCARD_WORKER_CONCURRENCY: '2' })));
    workers.push(...three);
    await Promise.all(three.map((w) => w.waitFor((line) => line.msg === 'worker listening')));
    clockodo.requests.splice(0);
    const queued = await runCli(['backfill', '--from', FROM, '--to', TO, '--no-wait'], envFor(db));
    expect(queued.code).toBe(0);
    expect(queued.stdout).toMatch(/queued: \d+ windows enqueued/);
    const runId = runIdOf(queued.stdout);
    // Any worker's /metrics shows the queue and every live worker's jobs in hand.
    const port = (await three[0]!.waitFor((line) => line.msg === 'worker listening')).port as number;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^punchcard_queue_jobs\{state="waiting"\} \d+$/m);
    expect(metrics.match(/^punchcard_queue_worker_jobs_in_flight\{worker="worker [^"]+"\} [0-2]$/gm)).toHaveLength(3);
    expect(await waitForRun(db.pool, runId, 240_000)).toBe('succeeded');

    // Exactly once: one succeeded ledger row per planned window, no failed rows.
    const ledger = await ledgerCounts(db.pool, runId);
    const planned = ACCOUNTS * (4 * 3 + 3 + 1); // TimeClock: 4 streams × 3 months; clockodo: 3 months + users
    expect(ledger).toHaveLength(planned);
    expect(ledger.filter((w) => w.succeeded !== 1 || w.failed !== 0)).toEqual([]);
    expect(await warehouseChecksum(db.pool)).toEqual(await warehouseChecksum(single.pool));

    // The fleet-wide caps held: one entrygroups month per clockodo account and at most
    // TIMECLOCK_MAX_CONCURRENCY (2) windows per TimeClock account in flight at any instant, six hands
    // polling side by side (a ledger row spans its window's work, from after its group turn to its commit).
    const { rows: spans } = await db.pool.query<{ grp: string; started: number; finished: number }>(
      `SELECT source || ':' || account || CASE WHEN source = 'clockodo' THEN ':' || stream ELSE '' END AS grp,
              extract(epoch FROM started_at)::float8 AS started, extract(epoch FROM finished_at)::float8 AS finished
       FROM punchcard.sync_windows WHERE run_id = $1 AND (source = 'timeclock' OR stream = 'entrygroups')`,
      [runId],
    );
    const mostAtOnce = new Map<string, number>();
    for (const span of spans) {
      const overlapping = spans.filter((other) => other.grp === span.grp && other.started <= span.started && other.finished > span.started).length;
      mostAtOnce.set(span.grp, Math.max(mostAtOnce.get(span.grp) ?? 0, overlapping));
    }
    const overCap = [...mostAtOnce].filter(([grp, most]) => most > (grp.startsWith('clockodo:') ? 1 : 2));
    expect(overCap).toEqual([]);
    // On the wire: each month requested once, and an account's requests one after another (no
    // worker fetches ahead while others are live: prefetch.ts).
    const monthGets = clockodo.requests.filter((r) => r.httpMethod === 'GET' && r.path === '/api/v2/entrygroups');
    const monthOf = (r: (typeof monthGets)[number]) => `${r.apiUser} ${new URLSearchParams(r.query).get('time_since')}`;
    expect(new Set(monthGets.map(monthOf)).size).toBe(monthGets.length);
    const overlapping = monthGets.filter((r) => monthGets.some((o) => o !== r && o.apiUser === r.apiUser && o.at <= r.at && (o.endedAt ?? new Date()) > r.at));
    expect(overlapping).toEqual([]);

    // Every worker took a share of the windows.
    const done = three.map((w) => w.logs().filter((line) => line.msg === 'window done').length);
    expect(done.reduce((a, b) => a + b, 0)).toBe(planned);
    for (const count of done) expect(count).toBeGreaterThan(0);

    // No API user ever had more than PER_SPAN entrygroups GETs arrive within SPAN_SECONDS, and none was refused.
    const busiest = busiestSpan(SPAN_SECONDS * 1000);
    expect(busiest.size).toBe(ACCOUNTS);
    for (const [user, most] of busiest) expect({ user, most }).toEqual({ user, most: Math.min(most, PER_SPAN) });
    expect([...busiest.values()].some((most) => most === PER_SPAN)).toBe(true);
    expect(clockodo.requests.filter((r) => r.status === 429)).toEqual([]);

    await Promise.all(three.map((w) => w.stop()));
    for (const w of three) expect(w.child.exitCode).toBe(0);
  }, 400_000);

  it('a worker SIGKILLed in the middle of a window: another completes it, the same warehouse, nothing twice', async () => {
    const small = fleetAccounts(3, { timeclock: timeclock.url, clockodo: clockodo.url }, { windowDays: 31, perSpan: 100, spanSeconds: 60 });
    const reference = await newDatabase();
    await backfillInProcess({ pool: reference.pool, env: { PUNCHCARD_ACCOUNTS: small.file, ...small.env }, from: '2025-11-01', to: '2025-11-30', windowDays: 31 });

    const db = await newDatabase();
    const env = { ...envFor(db), PUNCHCARD_ACCOUNTS: small.file, ...small.env, PUNCHCARD_JOB_HEARTBEAT_SECONDS: '10', PUNCHCARD_WORKER_CONCURRENCY: '1' };
    const three = [0, 1, 2].map(() => startWorker(env));
    workers.push(...three);
    await Promise.all(three.map((w) => w.waitFor((line) => line.msg === 'worker listening')));
    // Slow answers from both APIs, so the victim is surely inside a window when it dies, whichever
    // window it took first (clockodo's months are taken first: biggest first).
    timeclock.setLatency(600);
    clockodo.setLatency(600);
    try {
      const queued = await runCli(['backfill', '--from', '2025-11-01', '--to', '2025-11-30', '--window-days', '31', '--no-wait'], env);
      expect(queued.code).toBe(0);
      const runId = runIdOf(queued.stdout);
      const victim = three[0]!;
      const started = await victim.waitFor((line) => line.msg === 'window started');
      victim.child.kill('SIGKILL');
      expect(await waitForRun(db.pool, runId, 120_000)).toBe('succeeded');

      const ledger = await ledgerCounts(db.pool, runId);
      expect(ledger).toHaveLength(3 * (4 + 1 + 1));
      expect(ledger.filter((w) => w.succeeded !== 1 || w.failed !== 0)).toEqual([]);
      // The window the victim died in was taken up again (a second attempt) by a surviving worker.
      const survivors = three.slice(1).flatMap((w) => w.logs());
      expect(survivors.some((line) => line.msg === 'window done' && line.window === started.window && line.stream === started.stream && line.account === started.account)).toBe(true);
      expect(await warehouseChecksum(db.pool)).toEqual(await warehouseChecksum(reference.pool));
    } finally {
      timeclock.setLatency(0);
      clockodo.setLatency(0);
      await Promise.all(three.map((w) => w.stop()));
    }
  }, 300_000);

  it('two workers whose cron ticks fire in the same instant start one nightly run per tick', async () => {
    const db = await newDatabase();
    // Every 4 seconds (6-field cron), 3 days of lookback.
    const env = envFor(db, { PUNCHCARD_CRON: '*/4 * * * * *', PUNCHCARD_LOOKBACK_DAYS: '3' });
    const two = [0, 1].map(() => startWorker(env));
    workers.push(...two);
    try {
      const ticked = (w: WorkerProcess) => w.logs().filter((line) => line.msg === 'nightly sync enqueued' || line.msg === "another worker already enqueued this tick's sync");
      // Both workers ticked the same two instants.
      for (const w of two) await w.waitFor(() => ticked(w).length >= 2, 60_000);
      const ticksOf = (w: WorkerProcess) => new Set(ticked(w).map((line) => String(line.tick)));
      const common = [...ticksOf(two[0]!)].filter((tick) => ticksOf(two[1]!).has(tick));
      expect(common.length).toBeGreaterThanOrEqual(1);
      for (const tick of common) {
        const enqueued = two.flatMap((w) => ticked(w)).filter((line) => line.tick === tick && line.enqueued === true);
        expect(enqueued).toHaveLength(1);
        const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'punchcard-nightly' AND data->>'tick' = $1`, [tick]);
        expect(rows[0]!.n).toBe(1);
      }
    } finally {
      await Promise.all(two.map((w) => w.stop()));
    }
  }, 120_000);
});
