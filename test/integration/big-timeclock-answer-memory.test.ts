/**
 * A TimeClock timesheet month of a large company is one JSON-RPC answer of tens of MB. The client
 * reads its `result` record by record into a spool (sources/timeclock/client.ts callSpooled), so the
 * peak memory of a backfill does not grow with the answer, on either path: read as it arrives (the
 * window has no committed answer) or received to a file, fingerprinted, then read (it has one, and
 * the answer changed). The real CLI, in a child process, loads a 25 MB and a 100 MB answer and then
 * a changed 100 MB answer (generated on the fly by a loopback server, never stored) under the
 * clockodo test's fixed bound, and every session, lunch and work log of each lands in the warehouse.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCliMeasured } from '../support/cli.ts';

/**
 * big-answer-memory.test.ts's bound. Holding the 100 MB answer parsed and transformed (JSON.parse +
 * transformTimesheet in one process, punchcard's V8 flags, before any load) takes 660 MB, 256 MB
 * for 25 MB. Streamed, measured 139-154 MB for 25 MB, 146-159 MB for 100 MB and 156-171 MB for the
 * changed 100 MB, alone on a 2-core machine: the margin is for a machine the whole suite loads.
 */
const PEAK_RSS_BOUND_MB = 400;

const TOKEN = 'generator-token-7d21';
const FROM = '2026-09-01';
const TO = '2026-09-30';
const DAYS = 30;
const MB = 1024 * 1024;

/**
 * One employee's month as the document's timesheet answer has it: a session a day, each with a
 * lunch and two work logs. `version` changes every session, lunch and work log (their end source)
 * and the employee's email, so a second answer differs everywhere at about the same size.
 */
function employeeRecord(employee: number, version: number): string {
  const end = version === 1 ? 'web' : 'phone';
  const sessions: string[] = [];
  for (let d = 1; d <= DAYS; d++) {
    const day = `2026-09-${String(d).padStart(2, '0')}`;
    const stamp = (time: string) => `"${day} ${time}"`;
    const workLog = (name: string, key: string, from: string, to: string) =>
      `{"name":"${name}","externalId":"${key}","startDate":${stamp(from)},"endDate":${stamp(to)},"startSourceType":"web","endSourceType":"${end}"}`;
    sessions.push(
      `{"startDate":${stamp('08:00:00')},"endDate":${stamp('16:30:00')},"timezone":"Asia/Jerusalem","locationType":"office","startSourceType":"web","endSourceType":"${end}",` +
        `"lunches":[{"startDate":${stamp('12:00:00')},"endDate":${stamp('12:30:00')},"startSourceType":"web","endSourceType":"${end}"}],` +
        `"workLogs":[${workLog('Support', 'OPS-1', '08:05:00', '12:00:00')},${workLog('Maintenance', 'OPS-2', '12:35:00', '16:25:00')}]}`,
    );
  }
  // Version 3 renames the identity (a shape the document does not show): every record is rejected, and kept.
  const identity = version === 3 ? 'employee_number' : 'employeeNumber';
  return `{"${identity}":${1000 + employee},"email":"employee${employee}.v${version}@example.com","sessions":[${sessions.join(',')}]}`;
}

interface Answer {
  employees: number;
  sessions: number;
  lunches: number;
  workLogs: number;
}

interface Generator {
  url: string;
  /** What the next answer will hold, set by its target size and version. */
  answer(bytes: number, version: number): Answer;
  /** Each request served: its JSON-RPC method and params, and the bytes of its answer. */
  requests: { method: unknown; params: unknown; bytes: number }[];
  close(): Promise<void>;
}

async function startGenerator(): Promise<Generator> {
  let target = 0;
  let version = 1;
  const requests: Generator['requests'] = [];
  const employeesFor = (bytes: number) => Math.max(1, Math.round(bytes / employeeRecord(1, 1).length));
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    let request: { method?: unknown; params?: unknown; id?: unknown };
    try {
      request = JSON.parse(text);
    } catch {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    // Echoed exactly as sent: the client checks it, and leaves its digits out of the answer's fingerprint.
    const id = JSON.stringify(request.id ?? null);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(`{"jsonrpc":"2.0","id":${id},"error":{"code":-32001,"message":"Unauthorized"}}`);
      return;
    }
    const served = { method: request.method, params: request.params, bytes: 0 };
    requests.push(served);
    if (request.method !== 'timesheet') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"jsonrpc":"2.0","id":${id},"error":{"code":-32601,"message":"Method not found"}}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const send = (piece: string) => ((served.bytes += Buffer.byteLength(piece)), res.write(piece));
    const count = employeesFor(target);
    send(`{"jsonrpc":"2.0","id":${id},"result":[`);
    for (let employee = 1; employee <= count; employee++) {
      // Written as the client reads it: the answer never exists whole on either side.
      if (!send(`${employee > 1 ? ',' : ''}${employeeRecord(employee, version)}`)) await new Promise((resolve) => res.once('drain', resolve));
    }
    send(']}');
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/json-rpc`,
    answer(bytes, nextVersion) {
      target = bytes;
      version = nextVersion;
      const employees = employeesFor(bytes);
      return { employees, sessions: employees * DAYS, lunches: employees * DAYS, workLogs: employees * DAYS * 2 };
    },
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let db: TestDatabase;
let generator: Generator;
beforeAll(async () => {
  db = await createTestDatabase();
  generator = await startGenerator();
});
afterAll(async () => {
  await generator?.close();
  await db?.drop();
});

/** The real CLI's backfill of September's timesheet, one window, with its peak RSS as the process itself reports it. */
async function backfillSeptember(databaseUrl: string): ReturnType<typeof runCliMeasured> {
  const env = cliEnv({
    DATABASE_URL: databaseUrl,
    TIMECLOCK_API_URL: generator.url,
    TIMECLOCK_API_TOKEN: TOKEN,
    HTTP_TIMEOUT_MS: '180000',
  });
  return runCliMeasured(['backfill', '--source', 'timeclock', '--streams', 'timesheet', '--from', FROM, '--to', TO, '--window-days', String(DAYS)], env);
}

/** Rows of the answer's kinds in the warehouse; `changed`: those carrying version 2's end source. */
async function landed(pool: TestDatabase['pool']): Promise<Record<string, number>> {
  const { rows } = await pool.query(`
    SELECT (SELECT count(*)::int FROM punchcard.tc_sessions WHERE method = 'timesheet' AND deleted_at IS NULL) AS sessions,
           (SELECT count(*)::int FROM punchcard.tc_lunches WHERE method = 'timesheet' AND deleted_at IS NULL) AS lunches,
           (SELECT count(*)::int FROM punchcard.tc_work_logs WHERE deleted_at IS NULL) AS "workLogs",
           (SELECT count(*)::int FROM punchcard.tc_employees) AS employees,
           (SELECT count(*)::int FROM punchcard.tc_sessions WHERE method = 'timesheet' AND deleted_at IS NULL AND end_source_type = 'phone') AS "changedSessions",
           (SELECT count(*)::int FROM punchcard.tc_lunches WHERE method = 'timesheet' AND deleted_at IS NULL AND end_source_type = 'phone') AS "changedLunches",
           (SELECT count(*)::int FROM punchcard.tc_work_logs WHERE deleted_at IS NULL AND end_source_type = 'phone') AS "changedWorkLogs",
           (SELECT count(*)::int FROM punchcard.tc_employees WHERE email LIKE '%.v2@example.com') AS "changedEmployees"`);
  return rows[0];
}

/** One request, for September, of the one method, its answer at least `bytes` long: no retry, nothing else asked. */
function expectOneTimesheetRequest(bytes: number): void {
  expect(generator.requests.map(({ method, params }) => ({ method, params }))).toEqual([{ method: 'timesheet', params: { startDate: FROM, endDate: TO } }]);
  expect(generator.requests[0]!.bytes).toBeGreaterThan(bytes * 0.95);
  generator.requests.length = 0;
}

describe('a big TimeClock timesheet answer', () => {
  it('loads 25 MB and 100 MB answers as they arrive, completely, under one fixed memory bound', async () => {
    const peaks: Record<string, number> = {};
    for (const megabytes of [25, 100]) {
      // A database of its own for each, so that each is a first load: no committed answer to recognise.
      const target = megabytes === 100 ? db : await createTestDatabase();
      try {
        const answer = generator.answer(megabytes * MB, 1);
        const started = Date.now();
        const result = await backfillSeptember(target.url);
        expect(result.code, result.stderr.slice(-2000)).toBe(0);
        expectOneTimesheetRequest(megabytes * MB);
        expect(await landed(target.pool), `${megabytes} MB`).toEqual({ ...answer, changedSessions: 0, changedLunches: 0, changedWorkLogs: 0, changedEmployees: 0 });
        peaks[`${megabytes} MB`] = result.peakRssMb;
        console.log(`[memory] ${megabytes} MB timesheet answer (${answer.employees} employees, ${answer.sessions + answer.lunches + answer.workLogs} rows) loaded in ${Math.round((Date.now() - started) / 1000)} s`);
      } finally {
        if (target !== db) await target.drop();
      }
    }
    console.log(`[memory] peak RSS of the first timesheet backfill: ${JSON.stringify(peaks)} (bound ${PEAK_RSS_BOUND_MB} MB)`);
    for (const [size, peak] of Object.entries(peaks)) expect(peak, size).toBeLessThan(PEAK_RSS_BOUND_MB);
  }, 300_000);

  it('loads a changed 100 MB answer for a window that has one, received to a file first, under the same bound', async () => {
    // The other path is taken only when the window has a committed answer to compare with.
    const { rows: committed } = await db.pool.query(
      `SELECT count(*)::int AS n FROM punchcard.sync_windows
       WHERE source = 'timeclock' AND stream = 'timesheet' AND status = 'succeeded' AND window_start = $1 AND window_end = $2 AND answer_sha256 IS NOT NULL`,
      [FROM, TO],
    );
    expect(committed[0].n, 'the first test committed September').toBe(1);

    const answer = generator.answer(100 * MB, 2);
    const started = Date.now();
    const result = await backfillSeptember(db.url);
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expectOneTimesheetRequest(100 * MB);
    expect(await landed(db.pool)).toEqual({
      ...answer,
      changedSessions: answer.sessions,
      changedLunches: answer.lunches,
      changedWorkLogs: answer.workLogs,
      changedEmployees: answer.employees,
    });
    const { rows: ledger } = await db.pool.query(
      `SELECT rows_updated::int AS updated, rows_inserted::int AS inserted FROM punchcard.sync_windows
       WHERE source = 'timeclock' AND stream = 'timesheet' AND status = 'succeeded' ORDER BY id DESC LIMIT 1`,
    );
    console.log(`[memory] changed 100 MB timesheet answer loaded in ${Math.round((Date.now() - started) / 1000)} s; ledger ${JSON.stringify(ledger[0])}`);
    console.log(`[memory] peak RSS of the changed timesheet backfill: ${result.peakRssMb} MB (bound ${PEAK_RSS_BOUND_MB} MB)`);
    expect(result.peakRssMb).toBeLessThan(PEAK_RSS_BOUND_MB);
  }, 300_000);

  it('keeps every record of a 100 MB answer it must reject (a renamed identity) as a reject, under the same bound', async () => {
    const target = await createTestDatabase();
    try {
      const answer = generator.answer(100 * MB, 3);
      const result = await backfillSeptember(target.url);
      expectOneTimesheetRequest(100 * MB);
      const { rows } = await target.pool.query(
        `SELECT count(*)::int AS rejects, count(*) FILTER (WHERE jsonb_array_length(raw -> 'sessions') = $1)::int AS whole,
                min(reason) AS reason, (SELECT count(*)::int FROM punchcard.tc_sessions) AS sessions
         FROM punchcard.rejects WHERE stream = 'timesheet'`,
        [DAYS],
      );
      expect(rows[0]).toEqual({ rejects: answer.employees, whole: answer.employees, reason: 'employee record has no employeeNumber', sessions: 0 });
      expect(result.code, result.stderr.slice(-2000)).toBe(0);
      console.log(`[memory] peak RSS of the rejected 100 MB timesheet backfill: ${result.peakRssMb} MB (bound ${PEAK_RSS_BOUND_MB} MB)`);
      expect(result.peakRssMb).toBeLessThan(PEAK_RSS_BOUND_MB);
    } finally {
      await target.drop();
    }
  }, 300_000);
});
