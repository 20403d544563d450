/**
 * Issue 16, points 12–14, through the real CLI against the document's example answers with one
 * detail changed each (everything else byte for byte):
 * - 12: fields the document shows only as null or in one shape (groups, isAbsence, numbers,
 *   notes, absence fields) keep the record, flagged, the value kept as sent;
 * - 13: a session without a timezone loads in TIMECLOCK_TIMEZONE, flagged zone_defaulted; an
 *   unknown zone name is still refused;
 * - 14: TIMECLOCK_STAMPS=utc reads stamps as UTC, and `punchcard check` shows one session as
 *   sent and as stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { seedAnswer, startSeedServer, type SeedServer } from '../support/seed-answers.ts';

const TOKEN = 'shape-token-77c2';
const servers: SeedServer[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(databases.map((d) => d.drop()));
});

/** The example answer with exact pieces of its text replaced (each must occur). */
function variant(method: Parameters<typeof seedAnswer>[0], ...swaps: Array<[string, string]>): string {
  let text = seedAnswer(method);
  for (const [from, to] of swaps) {
    expect(text, from).toContain(from);
    text = text.replace(from, to);
  }
  return text;
}

async function load(answers: Parameters<typeof startSeedServer>[1], args: string[], extraEnv: Record<string, string> = {}) {
  const server = await startSeedServer(TOKEN, answers);
  servers.push(server);
  const db = await createTestDatabase();
  databases.push(db);
  const env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: server.url, TIMECLOCK_API_TOKEN: TOKEN, ...extraEnv });
  const result = await runCli(['backfill', ...args], env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { db, env, server };
}

const EXTENDED = ['--from', '2025-01-24', '--to', '2025-01-24', '--streams', 'extended-sessions'];

describe('point 12: open shapes keep the record', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    const extended = variant(
      'extended-sessions',
      ['"groups": []', '"groups": {"12": {"id": 12, "name": "Nurses"}}'],
      ['"totalWorkedSeconds": 10956', '"totalWorkedSeconds": "10956"'],
      ['"duration": 10942', '"duration": "10942"'],
      ['"startNote": null', '"startNote": 5'],
      ['"endNote": null', '"endNote": {"text": "left early"}'],
      ['"isAbsence": false', '"isAbsence": 0'],
      ['"id": 21814', '"id": "21814"'],
    );
    ({ db } = await load({ answers: { 'extended-sessions': extended } }, EXTENDED));
  });

  it('loads the session and the employee with what could be read, flagged, and nothing rejected', async () => {
    const { rows: rejects } = await db.pool.query(`SELECT reason FROM punchcard.rejects`);
    expect(rejects).toEqual([]);
    const { rows: sessions } = await db.pool.query(
      `SELECT employee_number, duration_seconds, reported_duration_seconds, start_note, end_note, flags, raw->'endNote' AS raw_end_note FROM punchcard.tc_sessions`,
    );
    expect(sessions).toEqual([
      {
        employee_number: '31394', duration_seconds: 10_942, reported_duration_seconds: 10_942, start_note: '5', end_note: '{"text":"left early"}',
        flags: ['duration_unexpected_shape', 'is_absence_unexpected_shape', 'start_note_unexpected_shape', 'end_note_unexpected_shape'],
        raw_end_note: { text: 'left early' },
      },
    ]);
    const { rows: employees } = await db.pool.query(`SELECT external_id::int, groups, flags, raw->'id' AS raw_id FROM punchcard.tc_employees`);
    expect(employees).toEqual([{ external_id: 21_814, groups: { '12': { id: 12, name: 'Nurses' } }, flags: ['groups_unexpected_shape', 'id_unexpected_shape'], raw_id: '21814' }]);
    const { rows: totals } = await db.pool.query(`SELECT total_worked_seconds::int AS worked, flags, raw FROM punchcard.tc_period_totals`);
    expect(totals).toEqual([{ worked: 10_956, flags: ['total_worked_seconds_unexpected_shape'], raw: { totalWorkedSeconds: '10956', totalLeaveSeconds: 0, expectedSeconds: 0 } }]);
    const { rows: payroll } = await db.pool.query(`SELECT worked_seconds::int AS worked, net_seconds::int AS net, absence_seconds::int AS absence FROM reporting.payroll_daily`);
    expect(payroll).toEqual([{ worked: 10_942, net: 10_942, absence: 0 }]);
  });

  it('reads isAbsence "1" as an absence, with absence fields of another type kept as text', async () => {
    const extended = variant(
      'extended-sessions',
      ['"isAbsence": false', '"isAbsence": "1"'],
      ['"absenceName": null', '"absenceName": {"he": "מחלה", "en": "Sick"}'],
      ['"absenceCodeDays": null', '"absenceCodeDays": 3'],
    );
    const { db: absent } = await load({ answers: { 'extended-sessions': extended } }, EXTENDED);
    const { rows } = await absent.pool.query(`SELECT absence_name, absence_code_days, duration_seconds, flags FROM punchcard.tc_absences`);
    expect(rows).toEqual([
      { absence_name: '{"he":"מחלה","en":"Sick"}', absence_code_days: '3', duration_seconds: 10_942, flags: ['is_absence_unexpected_shape', 'absence_name_unexpected_shape'] },
    ]);
    const { rows: counts } = await absent.pool.query(`SELECT (SELECT count(*)::int FROM punchcard.tc_sessions) AS sessions, (SELECT count(*)::int FROM punchcard.rejects) AS rejects`);
    expect(counts).toEqual([{ sessions: 0, rejects: 0 }]);
  });
});

describe('point 13: a session without a zone', () => {
  it('loads in TIMECLOCK_TIMEZONE flagged zone_defaulted; an unknown zone is still refused', async () => {
    const sessions = variant(
      'sessions',
      ['"timezone": "Asia/Jerusalem"', '"timezone": null'],
      ['"timezone": "Asia/Jerusalem"', '"timezone": ""'],
      ['"timezone": "Asia/Jerusalem",\n"locationType"', '"locationType"'],
      ['"timezone": "Asia/Jerusalem"', '"timezone": "Asia/Atlantis"'],
    );
    const { db } = await load({ answers: { sessions } }, ['--from', '2024-10-09', '--to', '2024-10-10', '--streams', 'sessions'], { TIMECLOCK_TIMEZONE: 'Europe/Berlin' });
    const { rows } = await db.pool.query(`
      SELECT employee_number, start_local::text, timezone, to_char(start_utc AT TIME ZONE 'UTC', 'HH24:MI:SS') AS utc, flags
      FROM punchcard.tc_sessions ORDER BY 1, 2`);
    // Berlin is UTC+2 on 2024-10-09: 08:12:34 → 06:12:34Z (Jerusalem would give 05:12:34Z).
    expect(rows).toEqual([
      { employee_number: '1265', start_local: '2024-10-09 08:12:34', timezone: 'Europe/Berlin', utc: '06:12:34', flags: ['zone_defaulted'] },
      { employee_number: '1265', start_local: '2024-10-10 08:12:34', timezone: 'Europe/Berlin', utc: '06:12:34', flags: ['zone_defaulted'] },
      { employee_number: '1267', start_local: '2024-10-09 08:12:34', timezone: 'Europe/Berlin', utc: '06:12:34', flags: ['zone_defaulted'] },
    ]);
    const { rows: rejects } = await db.pool.query(`SELECT employee_number, reason FROM punchcard.rejects`);
    expect(rejects).toEqual([{ employee_number: '1267', reason: 'session: startDate: timezone "Asia/Atlantis" is not an IANA time zone name' }]);
  });
});

describe('point 14: TIMECLOCK_STAMPS', () => {
  it('utc reads the stamps as UTC instants, keeping the zone for the local time and day', async () => {
    const { db, env } = await load({ everyRange: false }, ['--from', '2024-10-09', '--to', '2024-10-10', '--streams', 'sessions,lunches'], { TIMECLOCK_STAMPS: 'utc' });
    const { rows } = await db.pool.query(`
      SELECT employee_number, work_date::text, start_local::text, to_char(start_utc AT TIME ZONE 'UTC', 'HH24:MI:SS') AS utc, net_seconds::int AS net
      FROM reporting.work_sessions JOIN reporting.payroll_daily USING (account, employee_number, work_date) ORDER BY 1, 2`);
    // 08:12:34Z is 11:12:34 in Jerusalem (IDT, UTC+3); durations do not change.
    expect(rows).toEqual([
      { employee_number: '1265', work_date: '2024-10-09', start_local: '2024-10-09 11:12:34', utc: '08:12:34', net: 30_600 },
      { employee_number: '1265', work_date: '2024-10-10', start_local: '2024-10-10 11:12:34', utc: '08:12:34', net: 30_420 },
      { employee_number: '1267', work_date: '2024-10-09', start_local: '2024-10-09 11:12:34', utc: '08:12:34', net: 29_280 },
      { employee_number: '1267', work_date: '2024-10-10', start_local: '2024-10-10 11:12:34', utc: '08:12:34', net: 31_800 },
    ]);
    const bad = await runCli(['backfill', '--from', '2024-10-09', '--to', '2024-10-09'], { ...env, TIMECLOCK_STAMPS: 'naive' });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('punchcard: TIMECLOCK_STAMPS must be local or utc');
  });

  it('a re-backfill after switching the reading restates the stamps (an unchanged answer is not skipped)', async () => {
    const { db, env } = await load({ everyRange: false }, ['--from', '2024-10-09', '--to', '2024-10-09', '--streams', 'sessions']);
    const utcOf = async () =>
      (await db.pool.query(`SELECT to_char(start_utc AT TIME ZONE 'UTC', 'HH24:MI:SS') AS utc FROM reporting.work_sessions WHERE employee_number = '1265' AND work_date = '2024-10-09'`)).rows;
    expect(await utcOf()).toEqual([{ utc: '05:12:34' }]);
    const again = await runCli(['backfill', '--from', '2024-10-09', '--to', '2024-10-09', '--streams', 'sessions'], { ...env, TIMECLOCK_STAMPS: 'utc' });
    expect(again.code, again.stderr).toBe(0);
    expect(await utcOf()).toEqual([{ utc: '08:12:34' }]);
  });

  it('punchcard check shows the latest session as sent and as stored, in either reading', async () => {
    const server = await startSeedServer(TOKEN, { everyRange: true });
    servers.push(server);
    const db = await createTestDatabase();
    databases.push(db);
    const env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: server.url, TIMECLOCK_API_TOKEN: TOKEN });
    await runCli(['backfill', '--from', '2024-10-10', '--to', '2024-10-10', '--streams', 'sessions'], env);
    const local = await runCli(['check'], env);
    expect(local.stdout).toMatch(
      /^ok\s+timeclock stamps: employee 1265: sent startDate "2024-10-10 08:12:34" timezone "Asia\/Jerusalem"; stored local 2024-10-10 08:12:34 Asia\/Jerusalem = UTC 2024-10-10T05:12:34Z \(TIMECLOCK_STAMPS=local; warehouse 2024-10-10T05:12:34Z\): compare with the TimeClock web app$/m,
    );
    const utc = await runCli(['check'], { ...env, TIMECLOCK_STAMPS: 'utc' });
    expect(utc.stdout).toMatch(/^ok\s+timeclock stamps: employee 1265: sent startDate "2024-10-10 08:12:34" timezone "Asia\/Jerusalem"; stored local 2024-10-10 11:12:34 Asia\/Jerusalem = UTC 2024-10-10T08:12:34Z \(TIMECLOCK_STAMPS=utc; not in the warehouse yet\)/m);
  });
});
