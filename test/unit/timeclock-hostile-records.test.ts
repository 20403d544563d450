/**
 * Hostile records through the pure transforms: each record either becomes a row or a reject with
 * a reason; nothing is dropped silently and one bad record never takes the others down.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { transformSessions } from '../../src/transform/timeclock/sessions.ts';
import { transformExtendedSessions } from '../../src/transform/timeclock/extended-sessions.ts';
import { finalizeBatch } from '../../src/pipeline/batch.ts';

const window = { start: '2025-03-01', end: '2025-03-31' };
const good = { startDate: '2025-03-10 08:00:00', endDate: '2025-03-10 16:00:00', timezone: 'Europe/Berlin', locationType: 'office', startSourceType: 'web', endSourceType: 'web' };
const huge = 'x'.repeat(200_000);
/** The good session moved to another day of March. */
const on = (day: number, extra: Record<string, unknown> = {}) => ({ ...good, startDate: `2025-03-${day} 08:00:00`, endDate: `2025-03-${day} 16:00:00`, ...extra });

// [case, session item, expected: 'row' (optionally with flags) or the reject reason]
const cases: Array<[string, Record<string, unknown>, 'row' | RegExp, string[]?]> = [
  ['a plain session', good, 'row', []],
  ['empty start', { ...good, startDate: '' }, /startDate: stamp "" is not "YYYY-MM-DD HH:mm:ss"/],
  ['zero date', { ...good, startDate: '0000-00-00 00:00:00' }, /not a real calendar date/],
  ['offset in stamp', { ...good, startDate: '2025-03-10T08:00:00+01:00' }, /not "YYYY-MM-DD HH:mm:ss"/],
  ['milliseconds', { ...good, endDate: '2025-03-10 16:00:00.250' }, /endDate: stamp .* not "YYYY-MM-DD HH:mm:ss"/],
  ['24:00:00', { ...good, endDate: '2025-03-10 24:00:00' }, /impossible time of day/],
  ['February 30th', { ...good, startDate: '2025-02-30 08:00:00' }, /not a real calendar date/],
  ['end before start', { ...good, endDate: '2025-03-10 07:00:00' }, /endDate .* is before startDate/],
  ['zero seconds', { ...good, endDate: good.startDate }, 'row', ['zero_length']],
  ['over 48 hours', { ...good, endDate: '2025-03-13 08:00:00' }, 'row', ['over_48h']],
  ['unknown zone', { ...good, timezone: 'Europe/Atlantis' }, /not an IANA time zone/],
  ['zone as offset', { ...good, timezone: '+02:00' }, /not an IANA time zone/],
  ['null start', { ...good, startDate: null }, /startDate: stamp must be a string, got null/],
  ['null end (still open)', { ...good, startDate: '2025-03-11 08:00:00', endDate: null }, 'row', []],
  ['missing end key', { startDate: '2025-03-12 08:00:00', timezone: 'Europe/Berlin' }, 'row', []],
  // How PHP/MySQL back ends send "not yet": loaded as open (counting nothing), flagged.
  ['empty end', on(18, { endDate: '' }), 'row', ['end_open_sentinel']],
  ['zero-date end', on(19, { endDate: '0000-00-00 00:00:00' }), 'row', ['end_open_sentinel']],
  ['null zone', { ...good, timezone: null }, /timezone is missing/],
  ['start as a number', { ...good, startDate: 20250310 }, /must be a string, got number/],
  // Issue 16: a label of another shape keeps the record (value as text, as sent in raw), flagged.
  ['location as a number', on(14, { locationType: 7 }), 'row', ['location_type_unexpected_shape']],
  ['extra unknown fields', on(15, { surprise: { nested: [1, 2] } }), 'row', []],
  ['outside the window', { ...good, startDate: '2025-04-02 08:00:00', endDate: '2025-04-02 09:00:00' }, 'row', ['outside_requested_window']],
  ['huge note-like field', on(16, { locationType: huge }), 'row', []],
  ['non-ASCII and NUL', on(17, { locationType: 'Büro\u0000' }), /NUL character/],
  ['DST gap start', { ...good, startDate: '2025-03-30 02:30:00', endDate: '2025-03-30 10:00:00' }, 'row', ['start_in_dst_gap']],
];

describe(`hostile TimeClock records: ${cases.length} single-record cases plus mixed answers`, () => {
  // What the suite covers, in CI's output (vitest lists only slow tests by name).
  afterAll(() => {
    const loaded = cases.filter(([, , expected]) => expected === 'row').length;
    console.log(`[coverage] hostile TimeClock records: ${cases.length} single-record cases (${loaded} load, ${cases.length - loaded} rejected with a reason) plus mixed answers`);
  });
  it.each(cases)('%s', (_name, item, expected, flags) => {
    const batch = finalizeBatch(transformSessions([{ employeeNumber: 1, email: 'e@example.com', sessions: [item, { ...good, startDate: '2025-03-20 08:00:00', endDate: '2025-03-20 09:00:00' }] }], 'acme', window));
    const sessions = batch.tables.find((t) => t.spec.table === 'punchcard.tc_sessions')!.rows;
    // The neighbouring good record always loads.
    expect(sessions.some((row) => row.start_local === '2025-03-20T08:00:00')).toBe(true);
    if (expected === 'row') {
      expect(batch.rejects).toEqual([]);
      expect(sessions).toHaveLength(2);
      expect(sessions[0]!.flags).toEqual(flags);
    } else {
      expect(sessions).toHaveLength(1);
      expect(batch.rejects).toHaveLength(1);
      expect(batch.rejects[0]!.reason).toMatch(expected);
    }
  });

  it('accounts for every record of an answer with duplicates, repeated employees and bad envelopes', () => {
    const answer = [
      { employeeNumber: 1, email: 'e@example.com', sessions: [good, good] }, // identical duplicate
      { employeeNumber: 1, email: 'e@example.com', sessions: [{ ...good, endDate: '2025-03-10 17:00:00' }] }, // same key, different values
      { employeeNumber: '2', email: 'f@example.com', sessions: [on(11)] },
      { employeeNumber: 'two', email: 'g@example.com', sessions: [on(13)] },
      { employeeNumber: '  ', email: 'n@example.com', sessions: [good] },
      { employeeNumber: 3, email: 'h@example.com', sessions: 'not a list' },
      'not even an object',
      { employeeNumber: 4, email: 'שרה@example.com', sessions: [on(12)] },
    ];
    const batch = finalizeBatch(transformSessions(answer as unknown[], 'acme', window));
    const sessions = batch.tables.find((t) => t.spec.table === 'punchcard.tc_sessions')!.rows;
    const employees = batch.tables.find((t) => t.spec.table === 'punchcard.tc_employees')!.rows;
    // Employee numbers are text identities (issue 16): "two" loads; only a missing identity is refused.
    expect(sessions.map((s) => `${s.employee_number} ${s.start_local}`).sort()).toEqual(['2 2025-03-11T08:00:00', '4 2025-03-12T08:00:00', 'two 2025-03-13T08:00:00']);
    expect(batch.rejects.map((r) => r.reason)).toEqual([
      'employee record has no employeeNumber',
      'employee record: expected an object, received string',
      ...Array(3).fill('3 records in one answer share the key (method=sessions, employee_number=1, start_local=2025-03-10T08:00:00) with different values'),
    ]);
    expect(employees.map((e) => e.employee_number).sort()).toEqual(['1', '2', '3', '4', 'two']);
  });

  it('extended-sessions: absences, totals as numeric strings, metadata of another shape kept and flagged', () => {
    const batch = finalizeBatch(
      transformExtendedSessions(
        [
          {
            date: '2025-03-10',
            result: [
              { id: 1, employeeNumber: '10', email: 'a@example.com', groups: [], totalWorkedSeconds: '28800', totalLeaveSeconds: 0, expectedSeconds: 28800, sessions: [{ ...good, duration: 28800 }] },
              { id: 'x', employeeNumber: '11', email: 'b@example.com', totalWorkedSeconds: 1, sessions: [{ ...good, duration: 28800, isAbsence: true, absenceName: 'Krankheit 🤒' }] },
            ],
          },
        ],
        'acme',
        window,
      ),
    );
    const table = (name: string) => batch.tables.find((t) => t.spec.table === name)!.rows;
    expect(table('punchcard.tc_sessions')).toHaveLength(1);
    expect(table('punchcard.tc_absences').map((a) => a.absence_name)).toEqual(['Krankheit 🤒']);
    expect(table('punchcard.tc_period_totals')).toEqual([
      {
        account: 'acme', employee_number: '10', period_start: '2025-03-10', period_end: '2025-03-10', total_worked_seconds: 28800, total_leave_seconds: 0, expected_seconds: 28800,
        flags: ['total_worked_seconds_unexpected_shape'], raw: { totalWorkedSeconds: '28800', totalLeaveSeconds: 0, expectedSeconds: 28800 },
      },
      { account: 'acme', employee_number: '11', period_start: '2025-03-10', period_end: '2025-03-10', total_worked_seconds: 1, total_leave_seconds: null, expected_seconds: null, flags: [], raw: { totalWorkedSeconds: 1 } },
    ]);
    // Issue 16: an id that is not a number no longer costs the employee's metadata.
    expect(table('punchcard.tc_employees').map((e) => [e.employee_number, e.external_id, e.flags, e.raw])).toEqual([
      ['10', 1, [], { id: 1, email: 'a@example.com', groups: [] }],
      ['11', null, ['id_unexpected_shape'], { id: 'x', email: 'b@example.com' }],
    ]);
    expect(batch.rejects).toEqual([]);
  });

  it('extended-sessions: an isAbsence that is an object (String() of it would throw) keeps the session, flagged', () => {
    const batch = transformExtendedSessions(
      [{ date: '2025-03-10', result: [{ employeeNumber: '12', email: 'c@example.com', sessions: [{ ...good, duration: 28800, isAbsence: { toString: 1 } }] }] }],
      'acme',
      window,
    );
    const sessions = batch.tables.find((t) => t.spec.table === 'punchcard.tc_sessions')!.rows;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.flags).toContain('is_absence_unexpected_shape');
    expect(batch.rejects).toEqual([]);
  });

  it('extended-sessions: an absence sent with days instead of stamps is kept, its hours only as reported', () => {
    const absence = (extra: Record<string, unknown>) => ({ timezone: 'Europe/Berlin', isAbsence: true, absenceName: 'Urlaub', ...extra });
    const batch = transformExtendedSessions(
      [{
        date: '2025-03-10',
        result: [{
          employeeNumber: '13',
          sessions: [
            absence({ startDate: '2025-03-10', endDate: '2025-03-11', duration: 57600 }),
            absence({ startDate: '2025-03-12', endDate: '2025-03-12', duration: null }),
            absence({ startDate: '2025-03-13', endDate: '2025-02-30', duration: 28800 }),
            absence({ startDate: '2025-03-14', endDate: '2025-03-14 12:00:00', duration: 14400 }),
          ],
        }],
      }],
      'acme',
      window,
    );
    const absences = batch.tables.find((t) => t.spec.table === 'punchcard.tc_absences')!.rows;
    expect(absences.map((a) => [a.start_utc, a.end_utc, a.work_date, a.duration_seconds, a.flags])).toEqual([
      ['2025-03-09T23:00:00Z', '2025-03-11T23:00:00Z', '2025-03-10', 57600, ['absence_date_only']],
      // No reported duration: NULL (unknown), not the 24 h between the midnights.
      ['2025-03-11T23:00:00Z', '2025-03-12T23:00:00Z', '2025-03-12', null, ['absence_date_only']],
    ]);
    expect(absences[0]!.raw).toMatchObject({ startDate: '2025-03-10', endDate: '2025-03-11' });
    // A day that does not exist, or a day mixed with a stamp, is not guessed.
    expect(batch.rejects.map((r) => r.reason)).toEqual([
      expect.stringMatching(/endDate: stamp "2025-02-30 00:00:00" is not a real calendar date/),
      expect.stringMatching(/startDate: stamp "2025-03-14" is not "YYYY-MM-DD HH:mm:ss"/),
    ]);
    expect(batch.rejects.map((r) => [r.work_date, (r.raw as { endDate: unknown }).endDate])).toEqual([['2025-03-13', '2025-02-30'], ['2025-03-14', '2025-03-14 12:00:00']]);
  });
});
