import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import type { AttendanceSource } from '../../src/simulators/people.ts';

/** Stand-in for src/simulators/people.ts: weekdays 6–9 h net, weekends off. */
function fakeAttendance(count: number): AttendanceSource {
  const zones = ['Europe/Berlin', 'Asia/Jerusalem', 'America/New_York'];
  const people = Array.from({ length: count }, (_, i) => ({
    employeeNumber: 1000 + i,
    email: `person${i}@example.com`,
    firstName: `Anna${i}`,
    lastName: 'Größer',
    timezone: zones[i % zones.length] as string,
  }));
  return {
    people,
    netSecondsOn(employeeNumber, localDate) {
      const weekday = new Date(`${localDate}T00:00:00Z`).getUTCDay();
      if (weekday === 0 || weekday === 6) return 0;
      return 6 * 3600 + ((employeeNumber * 7919 + Number(localDate.slice(8)) * 131) % 10_800);
    },
  };
}

const ADMIN = {
  'X-ClockodoApiUser': 'api-admin@punchcard.test',
  'X-ClockodoApiKey': 'clockodo-admin-key',
  'X-Clockodo-External-Application': 'punchcard;ops@example.com',
};
const READER = { ...ADMIN, 'X-ClockodoApiUser': 'api-reader@punchcard.test', 'X-ClockodoApiKey': 'clockodo-reader-key' };
const SINCE = '2026-09-01T00:00:00Z';
const UNTIL = '2026-09-14T23:59:59Z';
const WINDOW = `time_since=${SINCE}&time_until=${UNTIL}`;
const REVENUE_KEYS = [
  'revenue',
  'budget_used',
  'has_budget_revenues_billed',
  'has_budget_revenues_not_billed',
  'has_non_budget_revenues_billed',
  'has_non_budget_revenues_not_billed',
  'hourly_rate',
  'hourly_rate_is_equal_and_has_no_lumpsums',
];

/** EntryGroupRestrictionV2 of clockodo's OpenAPI: ten keys, every one present (nullable). */
const RESTRICTION_KEYS = ['users_id', 'teams_id', 'customers_id', 'projects_id', 'subprojects_id', 'services_id', 'lumpsum_services_id', 'billable', 'entriesTexts_id', 'budget_type'];

interface Group {
  groupedBy?: string;
  grouped_by?: string;
  group: string | number;
  name: string;
  duration: number;
  sub_groups?: Group[] | null;
  [key: string]: unknown;
}

let sim: ClockodoSimulator;
const attendance = fakeAttendance(30);

async function call(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, { ...init, headers: { ...ADMIN, ...init.headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const groups = async (query: string, headers: Record<string, string> = ADMIN): Promise<Group[]> => {
  const { status, body } = await call(`/v2/entrygroups?${query}`, { headers });
  expect(status, JSON.stringify(body)).toBe(200);
  return body.groups as Group[];
};
const total = (list: Group[]): number => list.reduce((sum, g) => sum + g.duration, 0);
const flatten = (list: Group[] | null | undefined): Group[] => (list ?? []).flatMap((g) => [g, ...flatten(g.sub_groups)]);

beforeAll(async () => {
  sim = await startClockodoSimulator({ attendance, seed: 7 });
});
afterAll(async () => {
  await sim?.close();
});

describe('clockodo simulator', () => {
  it('demands API credentials and the external-application header, and retires old routes', async () => {
    const bare = await fetch(`${sim.url}/v3/users`);
    expect(bare.status).toBe(401);
    expect(typeof ((await bare.json()) as any).error.message).toBe('string');

    expect((await call('/v3/users', { headers: { 'X-ClockodoApiKey': 'wrong' } })).status).toBe(401);

    const basic = Buffer.from('api-reader@punchcard.test:clockodo-reader-key').toString('base64');
    const viaBasic = await fetch(`${sim.url}/v3/users`, {
      headers: { Authorization: `Basic ${basic}`, 'X-Clockodo-External-Application': 'punchcard;ops@example.com' },
    });
    expect(viaBasic.status).toBe(200);

    const noApp = await fetch(`${sim.url}/v3/users`, { headers: { 'X-ClockodoApiUser': ADMIN['X-ClockodoApiUser'], 'X-ClockodoApiKey': ADMIN['X-ClockodoApiKey'] } });
    expect(noApp.status).toBe(400);
    expect(((await noApp.json()) as any).error.fields).toEqual(['X-Clockodo-External-Application']);

    expect((await call(`/entrygroups?${WINDOW}&grouping[]=users_id`)).status).toBe(410);
    expect((await call('/v2/users')).status).toBe(410);
  });

  it('nests groupings in any order to the same totals, equal to the raw entries and bookedSeconds', async () => {
    const byUserDay = await groups(`${WINDOW}&grouping[]=users_id&grouping[]=day`);
    const byDayUserProject = await groups(`${WINDOW}&grouping[]=day&grouping[]=users_id&grouping[]=projects_id`);
    const entries = sim.dataset.entriesBetween(SINCE, UNTIL);
    expect(entries.length).toBeGreaterThan(200);
    const rawTotal = entries.reduce((sum, e) => sum + e.duration, 0);
    expect(total(byUserDay)).toBe(rawTotal);
    expect(total(byDayUserProject)).toBe(rawTotal);

    for (const level of [byUserDay, byDayUserProject, ...flatten(byDayUserProject).map((g) => g.sub_groups ?? [])]) {
      const durations = level.map((g) => g.duration);
      expect(durations).toEqual([...durations].sort((a, b) => b - a)); // by duration, not by date
    }
    for (const parent of flatten(byDayUserProject).filter((g) => g.sub_groups)) expect(total(parent.sub_groups ?? [])).toBe(parent.duration);

    let leaves = 0;
    for (const user of byUserDay) {
      expect(typeof user.group).toBe('string');
      for (const day of user.sub_groups ?? []) {
        expect(day.group).toMatch(/^2026-09-\d\d$/);
        expect(day.sub_groups ?? null).toBeNull();
        expect(day.duration).toBe(sim.dataset.bookedSeconds(Number(user.group), day.group as string));
        leaves += 1;
      }
    }
    expect(leaves).toBeGreaterThan(100);
    // "No project" is the number 0, once per customer.
    const projects = flatten(byDayUserProject).filter((g) => g.grouped_by === 'projects_id');
    expect(projects.some((g) => g.group === 0)).toBe(true);
    expect(projects.filter((g) => g.group !== 0).every((g) => typeof g.group === 'string')).toBe(true);
  });

  it('answers in the OpenAPI\'s shapes by default: grouped_by, the _lumpsums flag, restrictions with the ten keys', async () => {
    const team = sim.dataset.users.find((u) => u.teams_id !== null)!.teams_id;
    const tree = flatten(await groups(`${WINDOW}&grouping[]=users_id&grouping[]=projects_id&grouping[]=billable&filter[teams_id]=${team}`));
    expect(tree.length).toBeGreaterThan(0);
    for (const g of tree) {
      expect(Object.keys(g)).toContain('grouped_by');
      expect(Object.keys(g)).not.toContain('groupedBy');
      expect(typeof g.hourly_rate_is_equal_and_has_no_lumpsums).toBe('boolean');
      expect(Object.keys(g)).not.toContain('hourly_rate_is_equal_and_has_no_lump_sums');
      expect(Object.keys(g.restrictions as object).sort()).toEqual([...RESTRICTION_KEYS].sort());
    }
    // The levels above a group (and the filter) are its restrictions; its own level is not.
    const leaf = tree.find((g) => g.grouped_by === 'billable')!;
    const restrictions = leaf.restrictions as Record<string, unknown>;
    expect(typeof restrictions.users_id).toBe('number');
    expect(restrictions.billable).toBeNull();
    expect(restrictions.teams_id).toBe(team);
    const top = tree.find((g) => g.grouped_by === 'users_id')!;
    expect((top.restrictions as Record<string, unknown>).users_id).toBeNull();
  });

  it('refuses id filters below 1 and budget types the OpenAPI does not list', async () => {
    for (const query of [`${WINDOW}&grouping[]=users_id&filter[projects_id]=0`, `${WINDOW}&grouping[]=users_id&filter[budget_type]=strict`]) {
      const { status, body } = await call(`/v2/entrygroups?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.fields, query).toHaveLength(1);
    }
    expect((await call(`/v2/entrygroups?${WINDOW}&grouping[]=users_id&filter[budget_type]=rep_filter_budget_strict`)).status).toBe(200);
  });

  it('answers bad requests with 400 and the v2 error body', async () => {
    const cases: Array<[string, RegExp]> = [
      [`${WINDOW}&grouping=users_id`, /Array expected/],
      [`time_since=2026-09-01&time_until=${UNTIL}&grouping[]=users_id`, /Wrong format/],
      [`${WINDOW}&grouping[]=users_id&limit=5`, /Unknown parameter/],
      [`${WINDOW}&grouping[]=users_id&filter[billable]=3`, /0, 1 or 2/],
      [`time_since=${UNTIL}&time_until=${SINCE}&grouping[]=users_id`, /time_since/],
      [`${WINDOW}&grouping[]=hours`, /Unknown grouping/],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await call(`/v2/entrygroups?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.message, query).toMatch(message);
      expect(Array.isArray(body.error.fields), query).toBe(true);
    }
  });

  it('shows revenues only to API users with rights (absent keys otherwise)', async () => {
    const query = `${WINDOW}&grouping[]=customers_id&grouping[]=billable`;
    const withRights = flatten(await groups(query, ADMIN));
    const without = flatten(await groups(query, READER));
    expect(withRights.length).toBe(without.length);
    for (const g of withRights) for (const key of REVENUE_KEYS) expect(g, key).toHaveProperty(key);
    for (const g of without) for (const key of REVENUE_KEYS) expect(Object.keys(g)).not.toContain(key);
    expect(withRights.some((g) => typeof g.revenue === 'number' && g.revenue > 0)).toBe(true);
    const customers = withRights.filter((g) => g.grouped_by === 'customers_id');
    expect(customers.map((g) => g.name)).toContain('Müller & Söhne GmbH');
    expect(customers.every((g) => 'number' in g && 'note' in g)).toBe(true);
  });

  it('rounds every entry up before summing and adds the rounding fields', async () => {
    const rounded = await groups(`${WINDOW}&grouping[]=users_id&grouping[]=day&round_to_minutes=15`);
    const entries = sim.dataset.entriesBetween(SINCE, UNTIL);
    expect(total(rounded)).toBe(entries.reduce((sum, e) => sum + Math.ceil(e.duration / 900) * 900, 0));
    expect(rounded.reduce((sum, g) => sum + (g.duration_without_rounding as number), 0)).toBe(entries.reduce((s, e) => s + e.duration, 0));
    for (const user of rounded) {
      expect(user).toHaveProperty('revenue_without_rounding');
      expect(user).not.toHaveProperty('rounding_success'); // lowest level only
      for (const day of user.sub_groups ?? []) {
        expect(day.duration % 900).toBe(0);
        expect(day.duration).toBeGreaterThanOrEqual(day.duration_without_rounding as number);
        expect(typeof day.rounding_success).toBe('boolean');
      }
    }
    const reader = flatten(await groups(`${WINDOW}&grouping[]=users_id&round_to_minutes=15`, READER));
    for (const g of reader) {
      expect(g).toHaveProperty('duration_without_rounding');
      expect(Object.keys(g)).not.toContain('revenue_without_rounding');
      expect(Object.keys(g)).not.toContain('rounding_success');
    }
  });

  it('edits in two steps: count first, change only with the matching single-use key', async () => {
    const usersId = sim.dataset.users[5]?.id as number;
    const selected = () => sim.dataset.entriesBetween(SINCE, UNTIL, { users_id: usersId });
    const before = selected();
    expect(before.length).toBeGreaterThan(3);
    const request = { time_since: SINCE, time_until: UNTIL, filter: { users_id: usersId }, services_id: 3006, billable: 2 };
    const put = (body: object) => call('/v2/entrygroups', { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

    const first = await put(request);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ confirm_key: expect.any(String), affected_entries: before.length });
    expect(selected()).toEqual(before);

    expect((await put({ ...request, confirm_key: 'not-a-key' })).status).toBe(400);
    const mismatch = await put({ ...request, billable: 1, confirm_key: first.body.confirm_key });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.message).toMatch(/different request/);
    expect((await put({ ...request, billable: 7 })).status).toBe(400);
    expect(selected()).toEqual(before);

    const done = await put({ ...request, confirm_key: first.body.confirm_key });
    expect(done.body).toEqual({ success: true, edited_entries: before.length });
    expect(selected().every((e) => e.services_id === 3006 && e.billable === 2)).toBe(true);
    const again = await put({ ...request, confirm_key: first.body.confirm_key });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/already been used/);

    const served = await groups(`${WINDOW}&grouping[]=services_id&filter[users_id]=${usersId}`);
    expect(served.map((g) => g.group)).toEqual(['3006']);
  });

  it('deletes in two steps and the change shows in entrygroups', async () => {
    const usersId = sim.dataset.users[8]?.id as number;
    const query = `${WINDOW}&filter[users_id]=${usersId}`;
    const count = sim.dataset.entriesBetween(SINCE, UNTIL, { users_id: usersId }).length;
    expect(count).toBeGreaterThan(0);

    const first = await call(`/v2/entrygroups?${query}`, { method: 'DELETE' });
    expect(first.body).toEqual({ confirm_key: expect.any(String), affected_entries: count });
    expect(total(await groups(`${query}&grouping[]=users_id`))).toBeGreaterThan(0);

    const otherUser = await call(`/v2/entrygroups?${WINDOW}&filter[users_id]=${usersId + 1}&confirm_key=${first.body.confirm_key}`, { method: 'DELETE' });
    expect(otherUser.status).toBe(400);
    const done = await call(`/v2/entrygroups?${query}&confirm_key=${first.body.confirm_key}`, { method: 'DELETE' });
    expect(done.body).toEqual({ success: true, edited_entries: count });
    expect(await groups(`${query}&grouping[]=users_id`)).toEqual([]);
    expect((await call(`/v2/entrygroups?${query}&confirm_key=${first.body.confirm_key}`, { method: 'DELETE' })).status).toBe(400);

    // An entry added through the control API is visible at once.
    const added = await fetch(sim.url.replace(/\/api$/, '/_sim/entries/add'), {
      method: 'POST',
      body: JSON.stringify({ users_id: usersId, projects_id: 2001, services_id: 3001, time_since: '2026-09-02T08:00:00Z', time_until: '2026-09-02T09:30:00Z' }),
    });
    expect(added.status).toBe(201);
    expect(total(await groups(`${query}&grouping[]=users_id`))).toBe(5400);
  });

  it('pages users, and links people by number or, where numbers differ, by email', async () => {
    const seen: any[] = [];
    for (let page = 1; ; page++) {
      const { status, body } = await call(`/v3/users?items_per_page=7&page=${page}`);
      expect(status).toBe(200);
      expect(body.paging).toMatchObject({ items_per_page: 7, current_page: page, count_items: sim.dataset.users.length });
      expect(body.paging.count_pages).toBe(Math.ceil(sim.dataset.users.length / 7));
      seen.push(...body.data);
      if (page >= body.paging.count_pages) break;
    }
    expect(new Set(seen.map((u) => u.id)).size).toBe(sim.dataset.users.length);
    expect(Object.keys(seen[0]).sort()).toEqual(['active', 'email', 'id', 'name', 'number', 'teams_id', 'timezone']);
    expect((await call('/v3/users?items_per_page=1001')).status).toBe(400);

    const byEmail = new Map(seen.map((u) => [u.email, u]));
    const people = attendance.people;
    const unlinked = people.filter((p) => !byEmail.has(p.email));
    const otherNumber = people.filter((p) => byEmail.has(p.email) && byEmail.get(p.email).number !== String(p.employeeNumber));
    expect(unlinked.length).toBeGreaterThan(0);
    expect(otherNumber.length).toBeGreaterThan(0);
    expect(seen.filter((u) => !people.some((p) => p.email === u.email)).map((u) => u.id)).toEqual([...sim.dataset.clockodoOnlyUserIds]);
  });

  it('books most attended days near the attended time, and some under, over or not at all', () => {
    const ratios: number[] = [];
    for (const link of sim.dataset.personLinks) {
      if (link.usersId === null) continue;
      for (let day = 1; day <= 14; day++) {
        const date = `2026-09-${String(day).padStart(2, '0')}`;
        const net = attendance.netSecondsOn(link.employeeNumber, date);
        const person = attendance.people.find((p) => p.employeeNumber === link.employeeNumber);
        if (net > 0 && person?.timezone === 'Europe/Berlin') ratios.push(sim.dataset.bookedSeconds(link.usersId, date) / net);
      }
    }
    expect(ratios.filter((r) => r >= 0.9 && r <= 1).length / ratios.length).toBeGreaterThan(0.5);
    expect(ratios.some((r) => r === 0)).toBe(true);
    expect(ratios.some((r) => r > 1.04)).toBe(true);
    expect(ratios.some((r) => r > 0 && r < 0.81)).toBe(true);
  });
});

describe('clockodo simulator options and faults', () => {
  let other: ClockodoSimulator;
  beforeAll(async () => {
    other = await startClockodoSimulator({
      attendance: fakeAttendance(5),
      levelKey: 'groupedBy',
      dayFormat: 'compact',
      deleteCountKey: 'deleted_entries',
      rateFlagKey: 'hourly_rate_is_equal_and_has_no_lump_sums',
      restrictions: 'mixed',
      confirmKeyTtlMs: 300,
      entrygroupsPerMinute: 2,
    });
  });
  afterAll(async () => {
    await other?.close();
  });
  const otherCall = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${other.url}${path}`, { ...init, headers: ADMIN });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };

  it('honours the spelling options, expires confirm keys, and rate-limits entrygroups', async () => {
    const first = await otherCall(`/v2/entrygroups?${WINDOW}&grouping[]=day`);
    expect(first.body.groups[0]).toHaveProperty('groupedBy', 'day');
    expect(first.body.groups[0]).not.toHaveProperty('grouped_by');
    expect(first.body.groups[0]).toHaveProperty('hourly_rate_is_equal_and_has_no_lump_sums');
    expect(first.body.groups[0]).not.toHaveProperty('hourly_rate_is_equal_and_has_no_lumpsums');
    expect(first.body.groups.map((g: Group) => JSON.stringify(g.restrictions)).every((r: string) => ['[]', '{}', 'null'].includes(r))).toBe(true);
    expect(first.body.groups[0].group).toMatch(/^202609\d\d$/);
    const year = await otherCall(`/v2/entrygroups?${WINDOW}&grouping[]=year`);
    expect(year.body.groups[0].group).toBe(2026);
    const limited = await otherCall(`/v2/entrygroups?${WINDOW}&grouping[]=month`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    const asked = await otherCall(`/v2/entrygroups?${WINDOW}`, { method: 'DELETE' });
    await new Promise((resolve) => setTimeout(resolve, 450));
    const late = await otherCall(`/v2/entrygroups?${WINDOW}&confirm_key=${asked.body.confirm_key}`, { method: 'DELETE' });
    expect(late.status).toBe(400);
    expect(late.body.error.message).toMatch(/expired/);
    const again = await otherCall(`/v2/entrygroups?${WINDOW}`, { method: 'DELETE' });
    const done = await otherCall(`/v2/entrygroups?${WINDOW}&confirm_key=${again.body.confirm_key}`, { method: 'DELETE' });
    expect(done.body).toEqual({ success: true, deleted_entries: again.body.affected_entries });
  });

  it('injects API error variants, and a timeout fault does not keep close() waiting', async () => {
    other.faults.add({ kind: 'api-error', variant: 'errors', count: 1, match: { path: '/api/v3/users' } });
    const failed = await otherCall('/v3/users');
    expect(failed.status).toBe(400);
    expect(failed.body.errors[0]).toMatchObject({ type: expect.any(String), message: expect.any(String), path: expect.any(String) });

    other.faults.add({ kind: 'timeout', count: 1 });
    const hanging = fetch(`${other.url}/v3/users`, { headers: ADMIN }).then(
      () => 'answered',
      () => 'failed',
    );
    while (!other.requests.some((r) => r.path === '/api/v3/users' && r.status === 0)) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toBe('failed');
  });
});
