/**
 * An answer equal to the one its window last committed is recognised by the fingerprint of its
 * bytes, taken as they arrive, before anything parses it: TimeClock's whatever request id it
 * echoes, clockodo's entrygroups month as sent. What recognition must not skip: the JSON-RPC
 * envelope checks (a wrong id, a missing "jsonrpc", an error object, a result that is no list
 * still fail the window), and the load itself when the ledger moved on between the fetch and the
 * commit (the recognised answer is then read and loaded after all).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { runPlan } from '../../src/pipeline/run.ts';
import { answerFingerprint, commitWindow, disposeWindow, prepareWindow } from '../../src/pipeline/window.ts';
import { sha256OfAnswer } from '../../src/sources/answer-hash.ts';
import type { DateWindow, Stream } from '../../src/pipeline/stream.ts';
import { createTimeclockClient } from '../../src/sources/timeclock/client.ts';
import { sessionsStream } from '../../src/sources/timeclock/streams/sessions.ts';
import { LOCAL_STAMPS } from '../../src/transform/timeclock/common.ts';
import { startTimeclockSimulator, TimeclockDataset } from '../../src/simulators/timeclock/index.ts';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { loadConfig } from '../../src/config.ts';
import { buildStreams } from '../../src/sources/registry.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startAnswerServer, type AnswerServer } from '../support/answer-server.ts';
import { cliEnv, clockodoSimulatorEnv } from '../support/cli.ts';
import { countingTransforms } from '../support/streams.ts';

const TOKEN = 'recognised-token-51a';
const WEEK: DateWindow = { start: '2026-09-01', end: '2026-09-07' };

/** How the test server writes its answer; the id is the request's unless the mode says otherwise. */
type Mode = 'plain' | 'wrong-id' | 'no-jsonrpc' | 'error' | 'result-object' | 'id-in-record' | 'id-last' | 'id-twice';
let mode: Mode = 'plain';
let sessions = ['2026-09-01', '2026-09-02'];
const ids: unknown[] = [];
let server: AnswerServer;
let db: TestDatabase;

const session = (day: string) => ({ startDate: `${day} 08:00:00`, endDate: `${day} 16:00:00`, timezone: 'Europe/Berlin', locationType: 'office', startSourceType: 'web', endSourceType: 'web' });

function answer(id: number): string {
  const result = [{ employeeNumber: 7, email: 'g@example.com', sessions: sessions.map(session) }];
  switch (mode) {
    case 'plain':
      return JSON.stringify({ jsonrpc: '2.0', id, result });
    case 'id-last':
      return JSON.stringify({ jsonrpc: '2.0', result, id });
    case 'wrong-id':
      return JSON.stringify({ jsonrpc: '2.0', id: id + 1, result });
    case 'no-jsonrpc':
      return JSON.stringify({ id, result });
    case 'error':
      return JSON.stringify({ jsonrpc: '2.0', id, result, error: { code: -32000, message: 'backend down' } });
    case 'result-object':
      return JSON.stringify({ jsonrpc: '2.0', id, result: { 0: result[0] } });
    case 'id-in-record':
      return JSON.stringify({ jsonrpc: '2.0', id, result: [{ ...result[0], passport: `P${id}` }] });
    case 'id-twice':
      return JSON.stringify({ jsonrpc: '2.0', id, result, echo: id });
  }
}

beforeAll(async () => {
  server = await startAnswerServer((body, res) => {
    const { id } = JSON.parse(body) as { id: number };
    ids.push(id);
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer(id));
  });
  db = await createTestDatabase();
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const plainClient = () => createTimeclockClient({ url: server.url, token: TOKEN, timeoutMs: 5000, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1, maxRetryAfterMs: 1 }, logger: silentLogger() });

/** The sessions stream over the test server (no retries), counting its transforms. */
function timeclockSessions(): { stream: Stream; transforms: () => number } {
  const client = plainClient();
  return countingTransforms({ ...sessionsStream(client, 'acme', 7, LOCAL_STAMPS), settingsFingerprint: 'stamps=local;defaultZone=' });
}

async function run(stream: Stream, window: DateWindow) {
  const summary = await runPlan({
    pool: db.pool,
    logger: silentLogger(),
    plan: { kind: 'backfill', sources: [stream.source], streams: [stream.name], from: window.start, to: window.end, windowDays: 7 },
    tasks: [{ stream, window }],
    concurrency: 1,
  });
  const { rows } = await db.pool.query(
    `SELECT rows_received AS received, rows_inserted AS inserted, rows_updated AS updated, rows_deleted AS deleted, rows_rejected AS rejected
     FROM punchcard.sync_windows WHERE run_id = $1`,
    [summary.runId],
  );
  return { summary, window: rows[0] };
}

const identity = (stream: Stream, window: DateWindow) => ({ runId: 0, source: stream.source, account: stream.account, stream: stream.name, window, startedAt: new Date() });

async function preparedKind(stream: Stream, window: DateWindow): Promise<string> {
  const prepared = await prepareWindow(db.pool, identity(stream, window), { stream, window });
  await disposeWindow(prepared);
  return prepared.kind;
}

const liveDays = async () =>
  (await db.pool.query(`SELECT work_date::text AS day FROM punchcard.tc_sessions WHERE account = 'acme' AND deleted_at IS NULL ORDER BY 1`)).rows.map((r) => r.day);

describe('a TimeClock answer', () => {
  it('is recognised before it is parsed, whatever request id it echoes, wherever the server writes it', async () => {
    mode = 'plain';
    sessions = ['2026-09-01', '2026-09-02'];
    const { stream, transforms } = timeclockSessions();
    const first = await run(stream, WEEK);
    expect(first.window).toMatchObject({ received: 2, inserted: 3 }); // the employee and two sessions
    expect(transforms()).toBe(1);

    expect(await preparedKind(stream, WEEK)).toBe('known');
    const again = await run(stream, WEEK);
    expect(again.summary.status).toBe('succeeded');
    expect(again.window).toEqual({ received: 2, inserted: 0, updated: 0, deleted: 0, rejected: 0 });
    expect(transforms()).toBe(1);
    // Every request carried its own id, and the answers echoed them.
    expect(new Set(ids).size).toBe(ids.length);

    // A server that writes the id after the result (as PHP does for extended-sessions) alike; its
    // bytes are not the plain answer's, so the first such answer is parsed and merged (to no change).
    mode = 'id-last';
    expect(await preparedKind(stream, WEEK)).toBe('spooled');
    expect((await run(stream, WEEK)).window).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    expect(await preparedKind(stream, WEEK)).toBe('known');
  });

  it.each([
    ['wrong-id', /answer id \d+ does not match request id \d+/],
    ['no-jsonrpc', /answer lacks "jsonrpc": "2.0"/],
    ['error', /JSON-RPC error -32000: backend down/],
    ['result-object', /"result" is not a list/],
  ] as const)('with the same records but %s still fails its window', async (bad, message) => {
    mode = 'plain';
    sessions = ['2026-09-01', '2026-09-02'];
    const { stream } = timeclockSessions();
    expect((await run(stream, WEEK)).summary.status).toBe('succeeded');
    mode = bad;
    const failed = await run(stream, WEEK);
    expect(failed.summary.status).toBe('failed');
    expect(failed.summary.failures[0]!.error).toMatch(message);
    expect(await liveDays()).toEqual(['2026-09-01', '2026-09-02']);
  });

  it('whose id also appears inside a record is parsed to be sure, and still changes nothing when unchanged', async () => {
    mode = 'plain';
    sessions = ['2026-09-01', '2026-09-02'];
    const { stream, transforms } = timeclockSessions();
    await run(stream, WEEK);
    mode = 'id-in-record';
    expect(await preparedKind(stream, WEEK)).toBe('spooled');
    const before = transforms();
    const parsed = await run(stream, WEEK);
    expect(parsed.summary.status).toBe('succeeded');
    expect(transforms()).toBe(before + 1);
    expect(await liveDays()).toEqual(['2026-09-01', '2026-09-02']);
  });

  it('whose id the server writes twice is fingerprinted by its records, as a whole parse fingerprints them', async () => {
    mode = 'plain';
    sessions = ['2026-09-01', '2026-09-02'];
    const { stream } = timeclockSessions();
    await run(stream, WEEK);
    mode = 'id-twice';
    expect((await run(stream, WEEK)).window).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    // Read record by record, the fingerprint is the parsed list's as a whole parse wrote it, so a
    // window committed before answers were spooled is still recognised.
    const whole = answerFingerprint(stream, `result:${sha256OfAnswer(await plainClient().call('sessions', { startDate: WEEK.start, endDate: WEEK.end }))}`);
    const { rows } = await db.pool.query(`SELECT answer_sha256 FROM punchcard.sync_windows WHERE stream = 'sessions' ORDER BY id DESC LIMIT 1`);
    expect(rows[0].answer_sha256).toBe(whole);
    expect((await run(stream, WEEK)).window).toEqual({ received: 2, inserted: 0, updated: 0, deleted: 0, rejected: 0 });
  });

  it('recognised, but loaded by another run before its commit, is read and loaded after all', async () => {
    mode = 'plain';
    sessions = ['2026-09-01', '2026-09-02'];
    const { stream } = timeclockSessions();
    await run(stream, WEEK);
    // A slow run fetches the unchanged answer...
    const task = { stream, window: WEEK };
    const slowRun = await db.pool.query<{ id: string }>(
      `INSERT INTO punchcard.sync_runs (kind, plan_key, sources, streams, range_from, range_to, window_days) VALUES ('backfill', 'slow', '{timeclock}', '{sessions}', $1, $2, 7) RETURNING id`,
      [WEEK.start, WEEK.end],
    );
    const slow = { ...identity(stream, WEEK), runId: Number(slowRun.rows[0]!.id) };
    const prepared = await prepareWindow(db.pool, slow, task);
    expect(prepared.kind).toBe('known');
    // ...while another run loads a changed one...
    sessions = ['2026-09-01'];
    expect((await run(stream, WEEK)).window).toMatchObject({ deleted: 1 });
    expect(await liveDays()).toEqual(['2026-09-01']);
    // ...then the slow run commits last: what it fetched is what the warehouse must now hold.
    try {
      const counts = await commitWindow(db.pool, slow, task, prepared, silentLogger());
      expect(counts).toMatchObject({ received: 2, inserted: 0, updated: 1 });
    } finally {
      await disposeWindow(prepared);
    }
    expect(await liveDays()).toEqual(['2026-09-01', '2026-09-02']);
  });
});

describe('a TimeClock extended-sessions window (one request per day)', () => {
  it('is recognised once all its days are in, none of them parsed; a day that changed makes it load', async () => {
    const sim = await startTimeclockSimulator({ token: TOKEN, seed: 9, employees: 4, today: '2025-06-30' });
    try {
      const env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN });
      const [stream] = buildStreams(loadConfig(env), { source: 'timeclock', streams: ['extended-sessions'] }, { logger: silentLogger() });
      const week: DateWindow = { start: '2025-06-02', end: '2025-06-08' };
      expect(await preparedKind(stream!, week)).toBe('spooled');
      const first = await run(stream!, week);
      expect(first.window.inserted).toBeGreaterThan(0);
      const before = sim.requests.length;
      expect(await preparedKind(stream!, week)).toBe('known');
      expect(sim.requests.length - before).toBe(7);
      const again = await run(stream!, week);
      expect(again.window).toMatchObject({ received: first.window.received, inserted: 0, updated: 0, deleted: 0 });
      // A truncated day on a changed window is asked again, and the window loads.
      sim.faults.add({ kind: 'truncated', count: 1 });
      expect((await run(stream!, { start: '2025-06-09', end: '2025-06-15' })).summary.status).toBe('succeeded');
      expect(sim.faults.injected.get('truncated')).toBe(1);
    } finally {
      await sim.close();
    }
  });
});

describe('a clockodo entrygroups month', () => {
  let sim: ClockodoSimulator;
  beforeAll(async () => {
    sim = await startClockodoSimulator({ attendance: new TimeclockDataset({ seed: 42, employees: 5, today: '2026-11-02' }), seed: 5 });
  });
  afterAll(async () => sim?.close());

  it('is recognised by the bytes of its body before it is parsed; a changed month is parsed and loaded', async () => {
    const env = clockodoSimulatorEnv(sim.url, db.url);
    const [stream] = buildStreams(loadConfig(env), { source: 'clockodo', streams: ['entrygroups'] }, { logger: silentLogger() });
    const october: DateWindow = { start: '2026-10-01', end: '2026-10-31' };
    expect(await preparedKind(stream!, october)).toBe('spooled');
    const first = await run(stream!, october);
    expect(first.window.inserted).toBeGreaterThan(0);
    expect(await preparedKind(stream!, october)).toBe('known');
    const again = await run(stream!, october);
    expect(again.window).toEqual({ ...first.window, inserted: 0 });
  });
});
