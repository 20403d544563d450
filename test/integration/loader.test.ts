/**
 * The bulk loader (src/load/merge.ts) against a real PostgreSQL: the COPY text encoding survives
 * every awkward value, the upsert writes only rows that really changed (proved by xmin, not only by
 * the returned counts), soft deletes stay inside the window's scope, dimensions never lose a value
 * to a NULL, and a row PostgreSQL cannot store becomes a reject while the rest of the window loads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/client.ts';
import { mergeTable, type TableCounts } from '../../src/load/merge.ts';
import { tcEmployeesBasic, tcEmployeesExtended, tcSessions } from '../../src/load/tables.ts';
import type { TableSpec, WindowScope } from '../../src/load/table-spec.ts';
import { loadWindow } from '../../src/load/load-window.ts';
import { startRun } from '../../src/load/ledger.ts';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

type Row = Record<string, unknown>;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

// Each describe uses its own account, so the shared database never mixes their rows or scopes.
const merge = (spec: TableSpec, rows: Row[], window: WindowScope): Promise<TableCounts> =>
  inTransaction(db.pool, (client) => mergeTable(client, spec, rows, window));

/** A tc_sessions row shaped like the transforms' output; `day` is the local work date in March 2025. */
function session(account: string, method: string, employee: number, day: number, extra: Row = {}): Row {
  const d = `2025-03-${String(day).padStart(2, '0')}`;
  return {
    account,
    method,
    employee_number: String(employee),
    start_local: `${d}T08:00:00`,
    end_local: `${d}T16:00:00`,
    timezone: 'Europe/Berlin',
    start_utc: `${d}T07:00:00.000Z`,
    end_utc: `${d}T15:00:00.000Z`,
    work_date: d,
    duration_seconds: 28_800,
    location_type: 'office',
    start_source_type: 'web',
    end_source_type: 'web',
    reported_duration_seconds: null,
    start_sent_at_local: null,
    end_sent_at_local: null,
    start_note: null,
    end_note: null,
    flags: [],
    raw: { employeeNumber: employee, startDate: `${d} 08:00:00` },
    ...extra,
  };
}

interface StoredSession {
  employee_number: string;
  start_note: string | null;
  end_note: string | null;
  location_type: string | null;
  flags: string[];
  raw: unknown;
  chars: number | null;
  sql_null_elements: number;
}

describe('COPY text encoding, round-tripped through the server', () => {
  // Everything COPY text format or an array literal treats specially, plus text that merely looks
  // like an escape ('\N', '\u0000' as six characters) and must stay text.
  const awkward = [
    'tab\there',
    'line\nfeed',
    'crlf\r\nend',
    'back\\slash',
    'trailing backslash\\',
    '\\',
    '\\N',
    '\\u0000 as six characters',
    'NULL',
    `single ' and double " quotes`,
    'comma, {braces}, "quoted"',
    'עברית: שלום עולם',
    'Grüße aus Köln – ÄÖÜß',
    'astral 😀 𝄞 👩‍💻',
    'controls \b\f\v\x01\x7f',
    '  padded  ',
  ];
  const rows: Row[] = [
    // Longer than copyRows' 64 KiB chunk and first: the stream goes out in several chunks, the
    // rows after it in a last, partial one.
    session('copy', 'sessions', 0, 3, { start_note: '😀\t\\\n'.repeat(20_000), raw: { big: 'ü\\'.repeat(40_000) } }),
    ...awkward.map((text, i) =>
      session('copy', 'sessions', i + 1, 3, {
        start_note: text,
        end_note: awkward[awkward.length - 1 - i],
        location_type: text,
        flags: [text, 'NULL', '', ',', '{}', '"', '\\'],
        raw: { text, [text]: [text, null, '', { deeper: text }], n: i },
      }),
    ),
    // NULL and '' must stay different, in text columns and in an array.
    session('copy', 'sessions', 100, 3, { start_note: '', end_note: null, location_type: null, flags: [''], raw: { empty: '', none: null } }),
    session('copy', 'sessions', 101, 3, { start_note: null, end_note: '', location_type: '', flags: [], raw: {} }),
  ];

  it('stores every value exactly as given and sees no change when loading it again', async () => {
    const window = { account: 'copy', start: '2025-03-03', end: '2025-03-03' };
    expect(await merge(tcSessions('sessions'), rows, window)).toEqual({ inserted: rows.length, updated: 0, deleted: 0 });

    const { rows: stored } = await db.pool.query<StoredSession>(
      `SELECT employee_number, start_note, end_note, location_type, flags, raw,
              char_length(start_note) AS chars, cardinality(array_positions(flags, NULL)) AS sql_null_elements
       FROM punchcard.tc_sessions WHERE account = 'copy' ORDER BY employee_number::int`,
    );
    expect(stored).toEqual(
      rows.map((r) => ({
        employee_number: r.employee_number,
        start_note: r.start_note,
        end_note: r.end_note,
        location_type: r.location_type,
        flags: r.flags,
        raw: r.raw,
        // Counted by the server in code points: an astral character is one, not a surrogate pair.
        chars: r.start_note === null ? null : [...(r.start_note as string)].length,
        // The element 'NULL' is the text NULL, never an SQL NULL inside the array.
        sql_null_elements: 0,
      })),
    );

    // A lossy or non-deterministic encoding would show up here as "changed" rows.
    expect(await merge(tcSessions('sessions'), rows, window)).toEqual({ inserted: 0, updated: 0, deleted: 0 });
  });
});

interface Version {
  xmin: string;
  updated_at: string;
  deleted: boolean;
}

/** Row versions by "account/method/employee/work_date": a changed xmin means the row was rewritten. */
async function versions(): Promise<Record<string, Version>> {
  const { rows } = await db.pool.query<Version & { id: string }>(
    `SELECT account || '/' || method || '/' || employee_number || '/' || work_date AS id,
            xmin::text AS xmin, updated_at::text AS updated_at, deleted_at IS NOT NULL AS deleted
     FROM punchcard.tc_sessions WHERE account IN ('acme', 'globex')`,
  );
  return Object.fromEntries(rows.map(({ id, ...v }) => [id, v]));
}

const rewritten = (before: Record<string, Version>, after: Record<string, Version>): string[] =>
  Object.keys(after).filter((id) => before[id]?.xmin !== after[id]!.xmin).sort();

describe('merge semantics on the fast path', () => {
  it('inserts, skips identical rows, updates only changed ones, soft-deletes within the scope and restores', async () => {
    const spec = tcSessions('sessions');
    const window = { account: 'acme', start: '2025-03-03', end: '2025-03-09' };
    // Bystanders that share the key of row 3 (employee 3, March 5th) or its account and method.
    await merge(spec, [session('acme', 'sessions', 3, 10)], { account: 'acme', start: '2025-03-10', end: '2025-03-16' });
    await merge(tcSessions('timesheet'), [session('acme', 'timesheet', 3, 5)], window);
    await merge(spec, [session('globex', 'sessions', 3, 5)], { ...window, account: 'globex' });

    const rows = [session('acme', 'sessions', 1, 3), session('acme', 'sessions', 2, 4), session('acme', 'sessions', 3, 5)];
    expect(await merge(spec, rows, window)).toEqual({ inserted: 3, updated: 0, deleted: 0 });
    const v1 = await versions();
    expect(Object.keys(v1)).toHaveLength(6);

    // Identical rows again: nothing written at all, not even updated_at.
    expect(await merge(spec, rows, window)).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(await versions()).toEqual(v1);

    // One value of one row changes: exactly that row is rewritten.
    const edited = [rows[0]!, { ...rows[1]!, end_note: 'left early' }, rows[2]!];
    expect(await merge(spec, edited, window)).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    const v2 = await versions();
    expect(rewritten(v1, v2)).toEqual(['acme/sessions/2/2025-03-04']);
    expect(v2['acme/sessions/2/2025-03-04']!.updated_at).not.toBe(v1['acme/sessions/2/2025-03-04']!.updated_at);
    const { rows: note } = await db.pool.query(`SELECT end_note FROM punchcard.tc_sessions WHERE account = 'acme' AND method = 'sessions' AND employee_number = '2'`);
    expect(note).toEqual([{ end_note: 'left early' }]);

    // Row 3 no longer returned: only it is marked deleted; the bystanders keep their row versions.
    expect(await merge(spec, edited.slice(0, 2), window)).toEqual({ inserted: 0, updated: 0, deleted: 1 });
    const v3 = await versions();
    expect(rewritten(v2, v3)).toEqual(['acme/sessions/3/2025-03-05']);
    expect(Object.keys(v3).filter((id) => v3[id]!.deleted)).toEqual(['acme/sessions/3/2025-03-05']);

    // It comes back: un-deleted, counted as an update, nothing else touched.
    expect(await merge(spec, edited, window)).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    const v4 = await versions();
    expect(rewritten(v3, v4)).toEqual(['acme/sessions/3/2025-03-05']);
    expect(Object.values(v4).some((v) => v.deleted)).toBe(false);

  });

  it('counts and writes exactly right when one load mixes new, changed, unchanged, restored and vanished rows', async () => {
    const spec = tcSessions('sessions');
    const window = { account: 'globex', start: '2025-03-10', end: '2025-03-16' };
    const rows = [10, 11, 12, 13, 14].map((e) => session('globex', 'sessions', e, 10));
    expect(await merge(spec, rows, window)).toEqual({ inserted: 5, updated: 0, deleted: 0 });
    // Employee 13's row vanishes (marked deleted) so that the next load can restore it.
    expect(await merge(spec, rows.slice(0, 3).concat(rows[4]!), window)).toEqual({ inserted: 0, updated: 0, deleted: 1 });
    const before = await versions();

    // 10 unchanged, 11 changed, 12 vanishes, 13 restored, 14 unchanged, 15 new.
    const next = [rows[0]!, { ...rows[1]!, location_type: 'home' }, rows[3]!, rows[4]!, session('globex', 'sessions', 15, 11)];
    expect(await merge(spec, next, window)).toEqual({ inserted: 1, updated: 2, deleted: 1 });
    const after = await versions();
    expect(rewritten(before, after)).toEqual(['globex/sessions/11/2025-03-10', 'globex/sessions/12/2025-03-10', 'globex/sessions/13/2025-03-10', 'globex/sessions/15/2025-03-11']);
    expect(Object.keys(after).filter((id) => id.startsWith('globex/sessions/') && after[id]!.deleted)).toEqual(['globex/sessions/12/2025-03-10']);
  });

  it('counts exactly in a window larger than the probe sample, whichever way the first rows point', async () => {
    const spec = tcSessions('sessions');
    const window = { account: 'hooli', start: '2025-03-01', end: '2025-03-31' };
    // 1,240 rows (40 employees × 31 days), in the order an answer sends them.
    const rows: Row[] = [];
    for (let day = 1; day <= 31; day++) for (let e = 1; e <= 40; e++) rows.push(session('hooli', 'sessions', e, day));
    const stored = async () =>
      new Map((await db.pool.query<{ id: string; xmin: string }>(`SELECT employee_number || '/' || work_date AS id, xmin::text AS xmin FROM punchcard.tc_sessions WHERE account = 'hooli'`)).rows.map((r) => [r.id, r.xmin]));
    const changedIds = (a: Map<string, string>, b: Map<string, string>) => [...b.keys()].filter((id) => a.get(id) !== b.get(id)).length;
    expect(await merge(spec, rows, window)).toEqual({ inserted: 1240, updated: 0, deleted: 0 });

    // The first 1,100 rows edited, the last one gone, the rest unchanged: the whole stage is upserted.
    const edited = rows.map((r, i) => (i < 1100 ? { ...r, end_note: 'edited' } : r)).slice(0, -1);
    const v1 = await stored();
    expect(await merge(spec, edited, window)).toEqual({ inserted: 0, updated: 1100, deleted: 1 });
    const v2 = await stored();
    expect(changedIds(v1, v2)).toBe(1101);

    // Only the last row differs (restored) and one is new: the full probe finds them.
    const next = [...rows.map((r, i) => (i < 1100 ? { ...r, end_note: 'edited' } : r)), session('hooli', 'sessions', 41, 31)];
    expect(await merge(spec, next, window)).toEqual({ inserted: 1, updated: 1, deleted: 0 });
    expect(changedIds(v2, await stored())).toBe(2);
    expect(await merge(spec, next, window)).toEqual({ inserted: 0, updated: 0, deleted: 0 });
  });

  it('refuses one key loaded twice with different values, and accepts a repeat of a stored row', async () => {
    const spec = tcSessions('sessions');
    const window = { account: 'initech', start: '2025-03-17', end: '2025-03-23' };
    const row = session('initech', 'sessions', 1, 17);
    expect(await merge(spec, [row], window)).toEqual({ inserted: 1, updated: 0, deleted: 0 });
    expect(await merge(spec, [row, row], window)).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    // A stored key and a new one, each sent with two versions: whole stage, then the filtered rows.
    await expect(merge(spec, [{ ...row, end_note: 'a' }, { ...row, end_note: 'b' }], window)).rejects.toThrow(/cannot affect row a second time/);
    const fresh = session('initech', 'sessions', 2, 18);
    await expect(merge(spec, [row, fresh, { ...fresh, end_note: 'b' }], window)).rejects.toThrow(/cannot affect row a second time/);
    const { rows: stored } = await db.pool.query(`SELECT employee_number, end_note FROM punchcard.tc_sessions WHERE account = 'initech' ORDER BY 1`);
    expect(stored).toEqual([{ employee_number: '1', end_note: null }]);
  });

  it("loads a window's first answer whole when one of its keys is held by a row outside the window", async () => {
    // An empty scope is loaded by COPY straight into the table; here that COPY fails on the primary
    // key, and the load must come out as the upsert has it. (A key repeated in a first answer: the
    // spooled loads' tests, test/integration/spooled-*.test.ts.)
    const spec = tcSessions('sessions');
    const first = { account: 'umbrella', start: '2025-03-24', end: '2025-03-30' };
    expect(await merge(spec, [session('umbrella', 'sessions', 1, 24), session('umbrella', 'sessions', 2, 24)], first)).toEqual({ inserted: 2, updated: 0, deleted: 0 });

    // Employee 3's row of March 25th was stored under another work date, in another window.
    await merge(spec, [session('umbrella', 'sessions', 3, 25, { work_date: '2025-03-31' })], { account: 'umbrella', start: '2025-03-31', end: '2025-04-06' });
    const rows = [session('umbrella', 'sessions', 4, 17), session('umbrella', 'sessions', 3, 25, { work_date: '2025-03-23' })];
    expect(await merge(spec, rows, { account: 'umbrella', start: '2025-03-17', end: '2025-03-23' })).toEqual({ inserted: 1, updated: 1, deleted: 0 });
    const { rows: stored } = await db.pool.query(
      `SELECT employee_number, work_date::text AS work_date, count(*) OVER ()::int AS live_rows FROM punchcard.tc_sessions WHERE account = 'umbrella' AND deleted_at IS NULL ORDER BY 1`,
    );
    expect(stored).toEqual([
      { employee_number: '1', work_date: '2025-03-24', live_rows: 4 },
      { employee_number: '2', work_date: '2025-03-24', live_rows: 4 },
      { employee_number: '3', work_date: '2025-03-23', live_rows: 4 },
      { employee_number: '4', work_date: '2025-03-17', live_rows: 4 },
    ]);
  });

  it('never erases a dimension value with a NULL, but does apply a changed value', async () => {
    const window = { account: 'acme', start: '2025-03-03', end: '2025-03-09' };
    const employee = async () =>
      (await db.pool.query<{ email: string | null; passport: string | null; xmin: string }>(`SELECT email, passport, xmin::text AS xmin FROM punchcard.tc_employees WHERE account = 'acme' AND employee_number = '7'`)).rows;
    const basic = (email: string | null): Row[] => [{ account: 'acme', employee_number: 7, email }];

    expect(await merge(tcEmployeesBasic, basic('a@example.com'), window)).toEqual({ inserted: 1, updated: 0, deleted: 0 });
    const [first] = await employee();

    // A stream that does not know the email sends NULL: nothing is written.
    expect(await merge(tcEmployeesBasic, basic(null), window)).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(await employee()).toEqual([first]);

    // Another stream adds what it knows without erasing the email it does not.
    expect(await merge(tcEmployeesExtended, [{ account: 'acme', employee_number: '7', email: null, passport: 'P-123', flags: [] }], window)).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    expect(await employee()).toEqual([expect.objectContaining({ email: 'a@example.com', passport: 'P-123' })]);

    expect(await merge(tcEmployeesBasic, basic('b@example.com'), window)).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    expect(await employee()).toEqual([expect.objectContaining({ email: 'b@example.com', passport: 'P-123' })]);
  });

  it('lets the one stream that sends a whole record clear a value with its NULL', async () => {
    const window = { account: 'acme', start: '2025-03-03', end: '2025-03-09' };
    const person = (work_ended_at: string | null): Row[] => [{ account: 'acme', employee_number: '8', email: 'c@example.com', passport: 'P-8', work_ended_at, flags: [] }];
    const stored = async () => (await db.pool.query(`SELECT email, passport, work_ended_at FROM punchcard.tc_employees WHERE account = 'acme' AND employee_number = '8'`)).rows;

    await merge(tcEmployeesExtended, person('2025-02-28'), window);
    // Rehired: extended-sessions now sends workEndedAt null, which is the value, not "unknown".
    expect(await merge(tcEmployeesExtended, person(null), window)).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    expect(await stored()).toEqual([{ email: 'c@example.com', passport: 'P-8', work_ended_at: null }]);
    // A stream that knows only number and e-mail still erases nothing.
    expect(await merge(tcEmployeesBasic, [{ account: 'acme', employee_number: '8', email: null }], window)).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(await stored()).toEqual([{ email: 'c@example.com', passport: 'P-8', work_ended_at: null }]);
  });
});

describe('rows PostgreSQL cannot store', () => {
  it('rejects a row holding U+0000 or an unpaired surrogate with a reason and loads the rest of the window', async () => {
    const window = { start: '2025-03-03', end: '2025-03-09' };
    const runId = await startRun(db.pool, { kind: 'backfill', sources: ['timeclock'], streams: ['timeclock.sessions'], from: window.start, to: window.end, windowDays: 7 });
    const good = session('nul', 'sessions', 1, 3);
    const nul = session('nul', 'sessions', 2, 4, { location_type: 'Büro\u0000', raw: { employeeNumber: 2, locationType: 'Büro\u0000' } });
    // JSON.parse accepts "\ud800": text would silently store U+FFFD, jsonb would refuse the whole COPY.
    const surrogate = session('nul', 'sessions', 3, 5, { start_note: JSON.parse('"x\\ud800y"') as string, raw: { employeeNumber: 3, startNote: JSON.parse('"x\\ud800y"') as string } });
    const batch = finalizeBatch({ received: 3, tables: [{ spec: tcSessions('sessions'), rows: [good, nul, surrogate] }], rejects: [] });
    // A record that only shows the six characters \u0000 as text is fine and must stay so in its reject.
    batch.rejects.push({ reason: 'a reject from the transform', raw: { note: 'C:\\u0000dir' }, employee_number: '4', work_date: '2025-03-06' });

    const identity = { runId, source: 'timeclock', account: 'nul', stream: 'sessions', window, startedAt: new Date() };
    expect(await loadWindow(db.pool, identity, batch)).toEqual({ received: 3, inserted: 1, updated: 0, deleted: 0, rejected: 3 });

    const { rows: rejects } = await db.pool.query(
      `SELECT employee_number::int, work_date::text, reason, raw, run_id::int FROM punchcard.rejects WHERE account = 'nul' ORDER BY employee_number`,
    );
    // jsonb cannot hold these either: the kept record shows each as its visible escape text.
    expect(rejects).toEqual([
      { employee_number: 2, work_date: '2025-03-04', reason: expect.stringMatching(/NUL character \(U\+0000\)/), raw: { employeeNumber: 2, locationType: 'Büro\\u0000' }, run_id: runId },
      { employee_number: 3, work_date: '2025-03-05', reason: expect.stringMatching(/unpaired UTF-16 surrogate \(U\+D800\)/), raw: { employeeNumber: 3, startNote: 'x\\ud800y' }, run_id: runId },
      { employee_number: 4, work_date: '2025-03-06', reason: 'a reject from the transform', raw: { note: 'C:\\u0000dir' }, run_id: runId },
    ]);
    const { rows: sessions } = await db.pool.query(`SELECT employee_number::int FROM punchcard.tc_sessions WHERE account = 'nul'`);
    expect(sessions).toEqual([{ employee_number: 1 }]);
    const { rows: ledger } = await db.pool.query(`SELECT status, rows_inserted, rows_rejected FROM punchcard.sync_windows WHERE run_id = $1`, [runId]);
    expect(ledger).toEqual([{ status: 'succeeded', rows_inserted: 1, rows_rejected: 3 }]);
  });

  it('keeps a raw answer holding U+0000 and an unpaired surrogate queryable, one row per window', async () => {
    const window = { start: '2025-03-01', end: '2025-03-31' };
    const runId = await startRun(db.pool, { kind: 'backfill', sources: ['clockodo'], streams: ['clockodo.entrygroups'], from: window.start, to: window.end, windowDays: 31 });
    const answer = { groups: [{ group: '7', name: 'Büro\u0000', note: JSON.parse('"x\\ud800y"') as string, revenue: 12.5, sub_groups: null }] };
    const identity = { runId, source: 'clockodo', account: 'raw', stream: 'entrygroups', window, startedAt: new Date() };
    const load = () => loadWindow(db.pool, identity, { received: 1, tables: [], rejects: [], rawAnswer: answer });
    // json input would take the escapes \u0000 and \ud800, but ->> and ::jsonb then fail on the row:
    // they are kept as visible text, and the answer stays readable with JSON operators.
    const kept = { groups: [{ ...answer.groups[0], name: 'Büro\\u0000', note: 'x\\ud800y' }] };
    const stored = async () =>
      (
        await db.pool.query(
          `SELECT body, body->'groups'->0->>'name' AS name, (body::jsonb)->'groups'->0->>'revenue' AS revenue FROM punchcard.raw_answers WHERE account = 'raw'`,
        )
      ).rows as Array<{ body: unknown; name: string; revenue: string }>;

    await load();
    expect(await stored()).toEqual([{ body: kept, name: 'Büro\\u0000', revenue: '12.5' }]);
    await load(); // the same window again: the same single row
    expect(await stored()).toEqual([{ body: kept, name: 'Büro\\u0000', revenue: '12.5' }]);
  });
});
