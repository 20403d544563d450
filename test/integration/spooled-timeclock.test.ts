/**
 * TimeClock answers are spooled record by record (pipeline/spool.ts): each employee record goes
 * through the transform alone, repeated keys are found in SQL on the stage, and the employees (a
 * dimension) are merged in memory at the end. That must land exactly what the whole-answer path
 * (transform → finalizeBatch → loadWindow) lands: rows of every table, rejects and ledger counts,
 * on answers holding what the whole-batch checks handle — identical and contradicting copies of a
 * key within one record and across two records of one employee, an employee listed twice, text
 * PostgreSQL cannot store, an unreadable stamp, a record without an employee — and, for
 * extended-sessions (one answer per day), an employee whose later day sends a field as null.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/load/ledger.ts';
import { loadSpooledWindow, loadWindow, type WindowIdentity } from '../../src/load/load-window.ts';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { openSpool, recordByRecordTransformer, type MemberTransformer } from '../../src/pipeline/spool.ts';
import type { StreamBatch } from '../../src/pipeline/stream.ts';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { createExtendedSessionsTransformer, transformExtendedSessions, type ExtendedDayAnswer } from '../../src/transform/timeclock/extended-sessions.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const window = { start: '2026-09-01', end: '2026-09-07' };
const zone = 'Asia/Jerusalem';
const stamp = (day: number, time: string) => `2026-09-0${day} ${time}`;
const session = (day: number, end = '16:00:00', extra: Record<string, unknown> = {}) => ({
  startDate: stamp(day, '08:00:00'),
  endDate: stamp(day, end),
  timezone: zone,
  locationType: 'office',
  startSourceType: 'web',
  endSourceType: 'web',
  lunches: [{ startDate: stamp(day, '12:00:00'), endDate: stamp(day, '12:30:00'), startSourceType: 'web', endSourceType: 'web' }],
  workLogs: [{ name: 'Support', externalId: 'OPS-1', startDate: stamp(day, '08:05:00'), endDate: stamp(day, '11:55:00'), startSourceType: 'web', endSourceType: 'web' }],
  ...extra,
});

const timesheet = [
  {
    employeeNumber: 1001,
    email: 'dana@example.com',
    sessions: [
      session(1),
      session(1), // an identical copy in the same record
      session(2, '16:00:00'),
      session(2, '17:00:00'), // a contradicting copy
      session(3, '16:00:00', { locationType: 'Nul\u0000l' }),
      session(4, '25:00:00'), // no such time
    ],
  },
  // The same employee again, with another email and a copy of a session of the first record.
  { employeeNumber: 1001, email: null, sessions: [session(1), session(5)] },
  { email: 'nobody@example.com', sessions: [session(1)] },
  { employeeNumber: '1002', email: 'lone@example.com', sessions: [session(6, '16:00:00', { workLogs: [{ name: 'Lone \ud800', startDate: stamp(6, '09:00:00'), endDate: stamp(6, '10:00:00') }] })] },
];

const person = (passport: string | null, extra: Record<string, unknown> = {}) => ({
  id: 77,
  email: 'dana@example.com',
  passport,
  groups: [],
  gender: null,
  birthday: null,
  workStartedAt: '2020-01-01',
  workEndedAt: null,
  totalWorkedSeconds: 28800,
  totalLeaveSeconds: 0,
  expectedSeconds: 30600,
  ...extra,
});
const extendedSession = (day: number, extra: Record<string, unknown> = {}) => ({
  startDate: stamp(day, '08:00:00'),
  endDate: stamp(day, '16:00:00'),
  timezone: zone,
  duration: 28800,
  isAbsence: false,
  startDateSentAt: null,
  endDateSentAt: null,
  startNote: null,
  endNote: 'done',
  ...extra,
});
const extendedDays: ExtendedDayAnswer[] = [
  {
    date: '2026-09-01',
    result: [
      { employeeNumber: '1001', ...person('P-1'), sessions: [extendedSession(1), extendedSession(1)] },
      { employeeNumber: '1002', ...person('P-2', { email: 'lone@example.com' }), sessions: [extendedSession(1, { isAbsence: true, absenceName: 'Sick' })] },
    ],
  },
  // A later day sends the passport as null: the employee's row is that day's, as the whole path keeps it.
  { date: '2026-09-02', result: [{ employeeNumber: '1001', ...person(null, { gender: 'f' }), sessions: [extendedSession(2, { endNote: 'Nul\u0000l' })] }] },
];

const TABLES = ['tc_employees', 'tc_sessions', 'tc_lunches', 'tc_work_logs', 'tc_absences', 'tc_period_totals'];

async function landed(account: string) {
  const tables: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const { rows } = await db.pool.query(
      `SELECT to_jsonb(t) - '{account,updated_at,first_seen_at,created_at,deleted_at}'::text[] || jsonb_build_object('deleted', to_jsonb(t) ->> 'deleted_at' IS NOT NULL) AS row
       FROM punchcard.${table} AS t WHERE account = $1 ORDER BY 1::text`,
      [account],
    );
    tables[table] = rows.map((r) => r.row);
  }
  const { rows: rejects } = await db.pool.query(`SELECT employee_number, work_date::text, reason, raw FROM punchcard.rejects WHERE account = $1 ORDER BY reason, raw::text`, [account]);
  const { rows: ledger } = await db.pool.query(`SELECT rows_received, rows_inserted, rows_updated, rows_deleted, rows_rejected FROM punchcard.sync_windows WHERE account = $1 ORDER BY id`, [account]);
  return { tables, rejects, ledger };
}

async function loadBothWays(stream: string, whole: (account: string) => StreamBatch, members: (account: string) => { transformer: MemberTransformer; items: unknown[] }) {
  const runId = await startRun(db.pool, { kind: 'backfill', sources: ['timeclock'], streams: [stream], from: window.start, to: window.end, windowDays: 7 });
  const identity = (account: string): WindowIdentity => ({ runId, source: 'timeclock', account, stream, window, startedAt: new Date() });
  await loadWindow(db.pool, identity(`${stream}-memory`), finalizeBatch(whole(`${stream}-memory`)));

  const { transformer, items } = members(`${stream}-spooled`);
  const sink = await openSpool({ listKey: 'result', keepRawAnswer: false }, transformer);
  const root = { jsonrpc: '2.0', id: 1, result: [] };
  items.forEach((item, index) => sink.group(structuredClone(item), index, root));
  const spooled = await sink.finish(root, 'sha');
  try {
    await loadSpooledWindow(db.pool, identity(`${stream}-spooled`), spooled);
  } finally {
    await spooled.dispose();
  }
  return { memory: await landed(`${stream}-memory`), streamed: await landed(`${stream}-spooled`) };
}

describe('a spooled TimeClock answer lands exactly what the in-memory path lands', () => {
  it('timesheet: sessions with their lunches and work logs, record by record', async () => {
    const { memory, streamed } = await loadBothWays(
      'timesheet',
      (account) => transformTimesheet(structuredClone(timesheet), account, window),
      (account) => ({ transformer: recordByRecordTransformer((records) => transformTimesheet(records, account, window)), items: timesheet }),
    );
    // The cases are all there: a collapsed copy, contradicting copies, unstorable text, a bad stamp, no employee.
    expect(memory.tables.tc_sessions!.some((r) => (r as { flags: string[] }).flags.includes('duplicate_in_answer'))).toBe(true);
    expect(memory.rejects.map((r) => r.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^2 records in one answer share the key/),
        expect.stringMatching(/NUL character/),
        expect.stringMatching(/unpaired UTF-16/),
        expect.stringMatching(/no employeeNumber/),
        expect.stringMatching(/25:00:00/),
      ]),
    );
    expect(memory.tables.tc_employees).toHaveLength(2);
    expect(memory.tables.tc_work_logs!.length).toBeGreaterThan(0);
    expect(streamed).toEqual(memory);

    // Synced again: what the source no longer sends is marked deleted in every table, both ways;
    // then an empty answer, which must still reach every table of the window.
    for (const again of [timesheet.slice(0, 2).map((r, i) => (i === 1 ? { ...r, sessions: [session(1)] } : r)), []]) {
      const next = await loadBothWays(
        'timesheet',
        (account) => transformTimesheet(structuredClone(again), account, window),
        (account) => ({ transformer: recordByRecordTransformer((records) => transformTimesheet(records, account, window)), items: again }),
      );
      expect(next.memory.ledger.at(-1)!.rows_deleted).toBeGreaterThan(0);
      expect(next.streamed).toEqual(next.memory);
    }
    const deleted = await landed('timesheet-spooled');
    for (const table of ['tc_sessions', 'tc_lunches', 'tc_work_logs']) expect(deleted.tables[table]!.every((r) => (r as { deleted: boolean }).deleted), table).toBe(true);
  });

  it('extended-sessions: day by day, the employee row being the last day sent', async () => {
    const { memory, streamed } = await loadBothWays(
      'extended-sessions',
      (account) => transformExtendedSessions(structuredClone(extendedDays), account, window),
      (account) => ({
        transformer: createExtendedSessionsTransformer(account, window),
        items: extendedDays.flatMap(({ date, result }) => result.map((record) => ({ date, record }))),
      }),
    );
    expect(memory.tables.tc_employees!.find((r) => (r as { employee_number: string }).employee_number === '1001')).toMatchObject({ passport: null, gender: 'f' });
    expect(memory.tables.tc_absences).toHaveLength(1);
    expect(memory.tables.tc_period_totals).toHaveLength(3);
    expect(memory.rejects.map((r) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/NUL character/)]));
    expect(memory.tables.tc_sessions!.some((r) => (r as { flags: string[] }).flags.includes('duplicate_in_answer'))).toBe(true);
    expect(streamed).toEqual(memory);
  });
});
