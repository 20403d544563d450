/**
 * The pure entrygroups transform on hand-written answers covering every documented quirk:
 * level key spellings, numeric groups, restrictions and sub_groups shapes, day formats, repeated
 * group 0, optional revenue fields, rounding fields, days outside the window.
 */
import { describe, expect, it } from 'vitest';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { groupingSignature, parseDayGroup, transformEntrygroups } from '../../src/transform/clockodo/entrygroups.ts';
import { utcBoundsOfLocalDays, wholeMonths } from '../../src/transform/clockodo/time.ts';

const window = { start: '2026-09-01', end: '2026-09-30' };
const DEFAULT = ['users_id', 'day', 'customers_id', 'projects_id', 'services_id', 'billable'];
const context = { account: 'acme', grouping: DEFAULT, roundToMinutes: 0, window };

/** A leaf with revenue rights. */
const leaf = (by: string, group: unknown, extra: Record<string, unknown> = {}) => ({
  groupedBy: by,
  group,
  name: `${by} ${String(group)}`,
  restrictions: [],
  duration: 3600,
  revenue: 95.5,
  budget_used: false,
  has_budget_revenues_billed: false,
  has_budget_revenues_not_billed: false,
  has_non_budget_revenues_billed: false,
  has_non_budget_revenues_not_billed: true,
  hourly_rate: 95.5,
  hourly_rate_is_equal_and_has_no_lumpsums: true,
  ...extra,
});
const node = (by: string, group: unknown, sub: unknown, extra: Record<string, unknown> = {}) => ({ groupedBy: by, group, name: `${by} ${String(group)}`, restrictions: {}, duration: 0, sub_groups: sub, ...extra });

/** users → day → customers → projects → services → billable, one leaf per path given. */
function tree(day: unknown = '2026-09-01', leafExtra: Record<string, unknown> = {}) {
  return {
    groups: [
      node('users_id', '501', [
        node('day', day, [
          node('customers_id', '3', [node('projects_id', '12', [node('services_id', 7, [leaf('billable', 1, leafExtra)])], { number: 'P-12', note: null })], { number: 'K-3' }),
        ]),
      ], { number: '1001' }),
    ],
  };
}

const rowsOf = (answer: unknown, ctx = context) => finalizeBatch(transformEntrygroups(answer, ctx));

describe('entrygroups transform', () => {
  it('flattens the tree into one row per leaf path with typed columns, names and the raw leaf', () => {
    const batch = rowsOf(tree());
    expect(batch.rejects).toEqual([]);
    expect(batch.received).toBe(1);
    expect(batch.rawAnswer).toEqual(tree());
    const [row] = batch.tables[0]!.rows;
    expect(row).toMatchObject({
      account: 'acme',
      grouping: 'users_id,day,customers_id,projects_id,services_id,billable',
      path_key: 'users_id=501/day=2026-09-01/customers_id=3/projects_id=12/services_id=7/billable=1',
      day: '2026-09-01',
      users_id: 501,
      customers_id: 3,
      projects_id: 12,
      subprojects_id: null,
      services_id: 7,
      texts_id: null,
      billable: 1,
      user_name: 'users_id 501',
      user_number: '1001',
      customer_name: 'customers_id 3',
      project_name: 'projects_id 12',
      duration_seconds: 3600,
      duration_without_rounding: null,
      revenue: 95.5,
      hourly_rate: 95.5,
      has_non_budget_revenues_not_billed: true,
      rounding_success: null,
      flags: [],
    });
    expect(row!.path).toEqual([
      { by: 'users_id', group: 501, name: 'users_id 501', number: '1001' },
      { by: 'day', group: '2026-09-01', name: 'day 2026-09-01' },
      { by: 'customers_id', group: 3, name: 'customers_id 3', number: 'K-3' },
      { by: 'projects_id', group: 12, name: 'projects_id 12', number: 'P-12', note: null },
      { by: 'services_id', group: 7, name: 'services_id 7' },
      { by: 'billable', group: 1, name: 'billable 1' },
    ]);
    expect(row!.raw).not.toHaveProperty('sub_groups');
  });

  it('leaves optional revenue and budget fields NULL when absent (no rights), never 0', () => {
    const noRights = JSON.parse(JSON.stringify(tree()), (key, value) =>
      ['revenue', 'budget_used', 'hourly_rate', 'hourly_rate_is_equal_and_has_no_lumpsums', 'has_budget_revenues_billed', 'has_budget_revenues_not_billed', 'has_non_budget_revenues_billed', 'has_non_budget_revenues_not_billed'].includes(key) ? undefined : value,
    );
    const [row] = rowsOf(noRights).tables[0]!.rows;
    expect(row).toMatchObject({ duration_seconds: 3600, revenue: null, hourly_rate: null, budget_used: null, has_non_budget_revenues_not_billed: null });
    const nulls = rowsOf(tree('2026-09-01', { revenue: null, hourly_rate: null })).tables[0]!.rows[0];
    expect(nulls).toMatchObject({ revenue: null, hourly_rate: null });
  });

  it('keeps the rounding fields when rounding was asked for', () => {
    const batch = rowsOf(tree('2026-09-01', { duration: 3600, duration_without_rounding: 3300, revenue_without_rounding: 87.54, rounding_success: true }), { ...context, roundToMinutes: 15 });
    expect(batch.tables[0]!.rows[0]).toMatchObject({ grouping: `${DEFAULT.join(',')};round=15`, duration_seconds: 3600, duration_without_rounding: 3300, revenue_without_rounding: 87.54, rounding_success: true });
    expect(groupingSignature(['day'], 0)).toBe('day');
  });

  it('reads the rate flag under its real name (..._lumpsums), and the German page\'s ..._lump_sums as a variant', () => {
    const real = rowsOf(tree('2026-09-01', { hourly_rate_is_equal_and_has_no_lumpsums: false }));
    expect(real.rejects).toEqual([]);
    expect(real.tables[0]!.rows[0]).toMatchObject({ hourly_rate_is_equal_and_has_no_lump_sums: false });
    const { hourly_rate_is_equal_and_has_no_lumpsums: _real, ...withoutReal } = leaf('billable', 1);
    const old = rowsOf({ groups: [node('users_id', '501', [node('day', '2026-09-01', [node('customers_id', '3', [node('projects_id', '12', [node('services_id', 7, [{ ...withoutReal, hourly_rate_is_equal_and_has_no_lump_sums: true }])])])])])] });
    expect(old.rejects).toEqual([]);
    expect(old.tables[0]!.rows[0]).toMatchObject({ hourly_rate_is_equal_and_has_no_lump_sums: true });
    const bad = rowsOf(tree('2026-09-01', { hourly_rate_is_equal_and_has_no_lumpsums: 'maybe' }));
    expect(bad.rejects).toEqual([]);
    expect(bad.tables[0]!.rows[0]).toMatchObject({ hourly_rate_is_equal_and_has_no_lump_sums: null, flags: ['hourly_rate_is_equal_and_has_no_lumpsums_unreadable'] });
  });

  it('keeps month groups as sent ("YYYYMM") above the day', () => {
    const answer = {
      groups: [
        { grouped_by: 'month', group: '202609', name: 'September 2026', restrictions: null, duration: 3600, sub_groups: [{ grouped_by: 'day', group: '2026-09-30', name: '30.09.2026', restrictions: {}, duration: 3600, sub_groups: null }] },
      ],
    };
    const batch = rowsOf(answer, { ...context, grouping: ['month', 'day'] });
    expect(batch.rejects).toEqual([]);
    expect(batch.tables[0]!.rows.map((r) => [r.path_key, r.day, r.duration_seconds])).toEqual([['month=202609/day=2026-09-30', '2026-09-30', 3600]]);
  });

  it('accepts grouped_by, numeric or string groups, restrictions {} [] null, and sub_groups as null, absent, [] or an object', () => {
    const answer = {
      groups: {
        a: {
          grouped_by: 'day',
          group: 20260902,
          name: '02.09.2026',
          restrictions: null,
          duration: 7200,
          sub_groups: {
            x: { grouped_by: 'users_id', group: 501, name: 'Anna', number: 1001, restrictions: {}, duration: 3600, sub_groups: null },
            y: { grouped_by: 'users_id', group: '502', name: 'Ben', number: null, restrictions: [], duration: 1800 },
            z: { grouped_by: 'users_id', group: '503', name: 'Cleo', restrictions: [{ users_id: 503 }], duration: 1800, sub_groups: [] },
          },
        },
      },
    };
    const batch = rowsOf(answer, { ...context, grouping: ['day', 'users_id'] });
    expect(batch.rejects).toEqual([]);
    expect(batch.received).toBe(3);
    expect(batch.tables[0]!.rows.map((r) => [r.path_key, r.users_id, r.user_number, r.duration_seconds, r.revenue])).toEqual([
      ['day=2026-09-02/users_id=501', 501, '1001', 3600, null],
      ['day=2026-09-02/users_id=502', 502, null, 1800, null],
      ['day=2026-09-02/users_id=503', 503, null, 1800, null],
    ]);
  });

  it('reads day groups as YYYY-MM-DD or YYYYMMDD and rejects anything else with the raw value, keeping the siblings', () => {
    expect(parseDayGroup('2026-09-03')).toEqual({ ok: true, value: '2026-09-03' });
    expect(parseDayGroup('20260903')).toEqual({ ok: true, value: '2026-09-03' });
    expect(parseDayGroup(20260903)).toEqual({ ok: true, value: '2026-09-03' });
    for (const bad of ['2026/09/03', '03.09.2026', '2026-9-3', '2026-0903', '1788739200', 1788739200, '', null, '2026-09-03T00:00:00Z']) {
      expect(parseDayGroup(bad), String(bad)).toMatchObject({ ok: false, reason: expect.stringContaining('neither YYYY-MM-DD nor YYYYMMDD') });
    }
    expect(parseDayGroup('20260231')).toMatchObject({ ok: false, reason: 'day group "20260231" is not a real calendar date' });

    const answer = {
      groups: [
        node('day', '2026/09/03', [leaf('users_id', 501)]),
        node('day', '20260904', [leaf('users_id', 501)]),
      ],
    };
    const batch = rowsOf(answer, { ...context, grouping: ['day', 'users_id'] });
    expect(batch.tables[0]!.rows.map((r) => r.path_key)).toEqual(['day=2026-09-04/users_id=501']);
    expect(batch.rejects).toHaveLength(1);
    expect(batch.rejects[0]!.reason).toBe('day group "2026/09/03" is neither YYYY-MM-DD nor YYYYMMDD');
    expect(batch.rejects[0]!.raw).toMatchObject({ group: { group: '2026/09/03' } });
    expect(batch.received).toBe(2);
  });

  it('merges a group 0 that appears twice at one level, whatever order clockodo lists it in', () => {
    // projects_id above customers_id: "without project" is one group per customer, both with group 0.
    const make = (order: 'ab' | 'ba') => {
      const a = node('projects_id', 0, [node('day', '2026-09-05', [leaf('users_id', 501, { duration: 600, revenue: 10.1, hourly_rate: 60.6 })])], { name: 'Kunde A: ohne Projekt' });
      const b = node('projects_id', '0', [node('day', '2026-09-05', [leaf('users_id', 501, { duration: 1200, revenue: 20.2, hourly_rate: 60.6, has_non_budget_revenues_billed: true })])], { name: 'Kunde B: ohne Projekt' });
      const c = node('projects_id', '12', [node('day', '2026-09-05', [leaf('users_id', 501)])]);
      return { groups: order === 'ab' ? [a, c, b] : [b, c, a] };
    };
    const ctx = { ...context, grouping: ['projects_id', 'day', 'users_id'] };
    const first = rowsOf(make('ab'), ctx);
    const second = rowsOf(make('ba'), ctx);
    expect(first.rejects).toEqual([]);
    expect(first.received).toBe(3);
    expect(first.tables[0]!.rows).toEqual(second.tables[0]!.rows);
    const merged = first.tables[0]!.rows.find((r) => r.projects_id === 0)!;
    expect(merged).toMatchObject({
      path_key: 'projects_id=0/day=2026-09-05/users_id=501',
      duration_seconds: 1800,
      revenue: 30.3,
      hourly_rate: 60.6,
      has_non_budget_revenues_billed: true,
      project_name: 'Kunde A: ohne Projekt | Kunde B: ohne Projekt',
      flags: ['merged_duplicate_groups'],
    });
    expect((merged.raw as { merged: unknown[] }).merged).toHaveLength(2);
    expect(first.tables[0]!.rows.find((r) => r.projects_id === 12)!.flags).toEqual([]);
  });

  it('keeps group 0 apart when lower levels differ, and leaves a repeated non-zero group to finalizeBatch', () => {
    const zeroes = {
      groups: [
        node('projects_id', 0, [node('customers_id', 3, [node('day', '2026-09-05', [leaf('users_id', 501)])])]),
        node('projects_id', 0, [node('customers_id', 4, [node('day', '2026-09-05', [leaf('users_id', 501)])])]),
      ],
    };
    const apart = rowsOf(zeroes, { ...context, grouping: ['projects_id', 'customers_id', 'day', 'users_id'] });
    expect(apart.tables[0]!.rows.map((r) => [r.path_key, r.flags])).toEqual([
      ['projects_id=0/customers_id=3/day=2026-09-05/users_id=501', []],
      ['projects_id=0/customers_id=4/day=2026-09-05/users_id=501', []],
    ]);

    const twice = (second: number) => ({ groups: [node('day', '2026-09-06', [leaf('users_id', 501), leaf('users_id', 501, { duration: second })])] });
    const identical = rowsOf(twice(3600), { ...context, grouping: ['day', 'users_id'] });
    expect(identical.tables[0]!.rows).toHaveLength(1);
    expect(identical.tables[0]!.rows[0]!.flags).toEqual(['duplicate_in_answer']);
    const contradicting = rowsOf(twice(60), { ...context, grouping: ['day', 'users_id'] });
    expect(contradicting.tables[0]!.rows).toEqual([]);
    expect(contradicting.rejects.map((r) => r.reason)).toEqual([expect.stringMatching(/2 records in one answer share the key/), expect.stringMatching(/share the key/)]);
  });

  it('works with any grouping order and flags leaves that stop above the last requested level', () => {
    const answer = { groups: [node('day', '2026-09-07', [node('users_id', 501, [leaf('billable', 2)]), leaf('users_id', 502, { sub_groups: null })])] };
    const batch = rowsOf(answer, { ...context, grouping: ['day', 'users_id', 'billable'] });
    expect(batch.tables[0]!.rows.map((r) => [r.path_key, r.billable, r.flags])).toEqual([
      ['day=2026-09-07/users_id=501/billable=2', 2, []],
      ['day=2026-09-07/users_id=502', null, ['fewer_levels_than_requested']],
    ]);
  });

  it('rejects leaves without a day, days outside the window, bad ids and an unreadable duration, never guessing', () => {
    const answer = {
      groups: [
        leaf('users_id', 501),
        node('users_id', 'abc', [leaf('day', '2026-09-08')]),
        node('users_id', 502, [leaf('day', '2026-10-01')]),
        node('users_id', 503, [leaf('day', '2026-09-08', { duration: '1h' })]),
        node('users_id', 504, [leaf('day', '2026-09-08', { revenue: 'lots' })]),
        node('users_id', 505, [leaf('day', '2026-09-08', { budget_used: 'maybe' })]),
        node('users_id', 506, [leaf('day', '2026-09-08', { revenue: '12.50', budget_used: 1 })]),
        node('surprise_level', 1, []),
        'not a group',
      ],
    };
    const batch = rowsOf(answer, { ...context, grouping: ['users_id', 'day'] });
    // An unreadable optional field costs that field, not the leaf: its duration still counts.
    expect(batch.tables[0]!.rows.map((r) => [r.path_key, r.duration_seconds, r.revenue, r.budget_used, r.flags])).toEqual([
      ['users_id=504/day=2026-09-08', 3600, null, false, ['revenue_unreadable']],
      ['users_id=505/day=2026-09-08', 3600, 95.5, null, ['budget_used_unreadable']],
      ['users_id=506/day=2026-09-08', 3600, 12.5, true, []],
    ]);
    expect(batch.rejects.map((r) => r.reason)).toEqual([
      'users_id group "abc" is not a whole number',
      'unknown grouping level "surprise_level" at depth 1',
      'group "not a group" is not an object',
      'this path has no day level (the grouping must contain day)',
      expect.stringMatching(/^day 2026-10-01 lies outside the requested window 2026-09-01\.\.2026-09-30/),
      'duration "1h" is not a whole number of seconds',
    ]);
    expect(batch.rejects.find((r) => r.reason.startsWith('duration'))!.work_date).toBe('2026-09-08');
    expect(batch.received).toBe(9);
  });

  it('fails the whole window when the answer has no readable groups (nothing is marked deleted)', () => {
    for (const answer of [{}, { groups: null }, { groups: 'none' }, [], null]) {
      expect(() => transformEntrygroups(answer, context), JSON.stringify(answer)).toThrow(/no readable "groups" list/);
    }
    expect(rowsOf({ groups: [] }).tables[0]!.rows).toEqual([]);
    expect(rowsOf({ groups: {} }).tables[0]!.rows).toEqual([]);
  });
});

describe('clockodo time bounds', () => {
  it('turns whole local days into DST-correct UTC bounds', () => {
    expect(utcBoundsOfLocalDays({ start: '2026-09-01', end: '2026-09-30' }, 'Europe/Berlin')).toEqual({ timeSince: '2026-08-31T22:00:00Z', timeUntil: '2026-09-30T21:59:59Z' });
    // October 2026: CEST until the 25th, CET after.
    expect(utcBoundsOfLocalDays({ start: '2026-10-01', end: '2026-10-31' }, 'Europe/Berlin')).toEqual({ timeSince: '2026-09-30T22:00:00Z', timeUntil: '2026-10-31T22:59:59Z' });
    expect(utcBoundsOfLocalDays({ start: '2026-03-01', end: '2026-03-31' }, 'America/New_York')).toEqual({ timeSince: '2026-03-01T05:00:00Z', timeUntil: '2026-04-01T03:59:59Z' });
    expect(utcBoundsOfLocalDays({ start: '2026-09-01', end: '2026-09-01' }, 'UTC')).toEqual({ timeSince: '2026-09-01T00:00:00Z', timeUntil: '2026-09-01T23:59:59Z' });
    expect(wholeMonths('2026-09-14', '2026-10-02')).toEqual({ start: '2026-09-01', end: '2026-10-31' });
  });
});
