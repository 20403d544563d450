import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePeople } from '../../src/simulators/people.ts';
import { stampToEpoch, startTimeclockSimulator, TimeclockDataset, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';

const TOKEN = 'test-token-0123456789';
const TODAY = '2025-11-20'; // a Thursday: a workday in every zone
const STAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON is inspected loosely on purpose */
type Json = any;

interface RpcReply {
  status: number;
  text: string;
  body: Json;
}

async function post(url: string, body: string, token: string | null = TOKEN): Promise<RpcReply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

function rpc(sim: TimeclockSimulator, method: string, params: unknown, id: unknown = 7, token: string | null = TOKEN): Promise<RpcReply> {
  return post(sim.url, JSON.stringify({ jsonrpc: '2.0', method, params, id }), token);
}

const window = (startDate: string, endDate: string = startDate) => ({ startDate, endDate });
const controlUrl = (sim: TimeclockSimulator, path: string) => sim.url.replace('/api/v1/json-rpc', path);

let sim: TimeclockSimulator;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, today: TODAY });
});

afterAll(async () => {
  await sim.close();
});

describe('wire format', () => {
  it('answers the four methods with the document’s shapes and types', async () => {
    const w = window('2025-11-10', '2025-11-14');

    const sessions = await rpc(sim, 'sessions', w);
    expect(sessions.status).toBe(200);
    expect(Object.keys(sessions.body)).toEqual(['jsonrpc', 'id', 'result']);
    expect(sessions.body.id).toBe(7);
    const emp = sessions.body.result[0];
    expect(Object.keys(emp)).toEqual(['employeeNumber', 'email', 'sessions']);
    expect(typeof emp.employeeNumber).toBe('number');
    expect(Object.keys(emp.sessions[0])).toEqual(['startDate', 'endDate', 'timezone', 'locationType', 'startSourceType', 'endSourceType']);
    expect(emp.sessions[0].startDate).toMatch(STAMP);
    expect(sessions.text).toContain('"timezone":"Asia/Jerusalem"');

    const lunches = await rpc(sim, 'lunches', w);
    expect(Object.keys(lunches.body.result[0].sessions[0])).toEqual(['startDate', 'endDate', 'timezone', 'startSourceType', 'endSourceType']);

    const timesheet = await rpc(sim, 'timesheet', w);
    const withLunch = timesheet.body.result.flatMap((e: Json) => e.sessions).find((s: Json) => s.lunches.length > 0);
    expect(Object.keys(withLunch)).toEqual(['startDate', 'endDate', 'timezone', 'locationType', 'startSourceType', 'endSourceType', 'lunches', 'workLogs']);
    expect(Object.keys(withLunch.lunches[0])).toEqual(['startDate', 'endDate', 'startSourceType', 'endSourceType']);
    expect(Object.keys(withLunch.workLogs[0])).toEqual(['name', 'externalId', 'startDate', 'endDate', 'startSourceType', 'endSourceType']);
    expect(withLunch.workLogs[0].externalId).toMatch(/^[A-Z]+-\d{4}$/);
    // lunches and work logs sit inside their session
    for (const inner of [...withLunch.lunches, ...withLunch.workLogs]) {
      expect(inner.startDate >= withLunch.startDate && inner.endDate <= withLunch.endDate).toBe(true);
    }

    const extended = await rpc(sim, 'extended-sessions', w);
    expect(Object.keys(extended.body)).toEqual(['jsonrpc', 'result', 'id']);
    const x = extended.body.result[0];
    expect(Object.keys(x)).toEqual([
      'id', 'employeeNumber', 'email', 'passport', 'groups', 'workStartedAt', 'workEndedAt', 'birthday', 'gender',
      'totalWorkedSeconds', 'totalLeaveSeconds', 'expectedSeconds', 'sessions',
    ]);
    expect(typeof x.id).toBe('number');
    expect(typeof x.employeeNumber).toBe('string');
    expect(Object.keys(x.sessions[0])).toEqual([
      'startDate', 'startDateSentAt', 'startNote', 'endDate', 'endDateSentAt', 'endNote', 'duration', 'timezone', 'locationType',
      'startSourceType', 'endSourceType', 'isAbsence', 'absenceName', 'absenceNote', 'absenceApprovedDate', 'absenceApprovedManager',
      'absenceCodeDays', 'absenceCodeHors',
    ]);
    expect(extended.text).toContain('"timezone":"Asia\\/Jerusalem"');
    expect(extended.text).not.toContain('"Asia/Jerusalem"');

    // absences only in extended-sessions
    const truth = sim.dataset.sessionsInWindow(w.startDate, w.endDate);
    const absences = truth.filter((s) => s.absence);
    expect(absences.length).toBeGreaterThan(0);
    const count = (r: Json) => r.body.result.reduce((n: number, e: Json) => n + e.sessions.length, 0);
    expect(count(sessions)).toBe(truth.length - absences.length);
    expect(count(timesheet)).toBe(truth.length - absences.length);
    expect(count(extended)).toBe(truth.length);
  });

  it('uses the JSON-RPC error codes and 204 for notifications', async () => {
    const err = async (body: string) => {
      const r = await post(sim.url, body);
      expect(r.status).toBe(200);
      return [r.body.error.code, r.body.id];
    };
    const req = (o: object) => JSON.stringify({ jsonrpc: '2.0', method: 'sessions', params: window('2025-01-01'), id: 3, ...o });
    expect(await err('{"jsonrpc":"2.0",')).toEqual([-32700, null]);
    expect(await err(req({ jsonrpc: '1.0' }))).toEqual([-32600, 3]);
    expect(await err(req({ method: 5 }))).toEqual([-32600, 3]);
    expect(await err(`[${req({})}]`)).toEqual([-32600, null]); // batches are refused
    expect(await err(req({ method: 'clockins' }))).toEqual([-32601, 3]);
    expect(await err(req({ params: { endDate: '2025-01-01' } }))).toEqual([-32602, 3]);
    expect(await err(req({ params: window('2025-02-30') }))).toEqual([-32602, 3]);
    expect(await err(req({ params: window('2025-01-02', '2025-01-01') }))).toEqual([-32602, 3]);
    expect(await err(req({ params: window('2025-01-01', '2025-02-01') }))).toEqual([-32602, 3]); // 32 days
    expect((await post(sim.url, req({ params: window('2025-01-01', '2025-01-31') }))).body.result).toBeInstanceOf(Array);
    expect((await post(sim.url, req({ id: 'abc' }))).body.id).toBe('abc');

    const notification = await post(sim.url, JSON.stringify({ jsonrpc: '2.0', method: 'sessions', params: window('2025-01-01') }));
    expect(notification.status).toBe(204);
    expect(notification.text).toBe('');
  });

  it('checks the bearer token', async () => {
    for (const token of [null, 'wrong']) {
      const r = await rpc(sim, 'sessions', window('2025-01-06'), 11, token);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ jsonrpc: '2.0', id: 11, error: { code: -32001, message: 'Unauthorized' } });
    }
    const unparsable = await post(sim.url, 'nope', 'wrong');
    expect([unparsable.status, unparsable.body.id]).toEqual([401, null]);
    const lowerCase = await fetch(sim.url, {
      method: 'POST',
      headers: { authorization: `bearer ${TOKEN}` },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'sessions', params: window('2025-01-06'), id: 1 }),
    });
    expect(lowerCase.status).toBe(200);
  });
});

describe('dataset', () => {
  it('is deterministic per seed', async () => {
    const twin = await startTimeclockSimulator({ token: TOKEN, today: TODAY });
    const other = await startTimeclockSimulator({ token: TOKEN, today: TODAY, seed: 7 });
    try {
      for (const method of ['timesheet', 'extended-sessions']) {
        const a = await rpc(sim, method, window('2025-06-01', '2025-06-30'));
        const b = await rpc(twin, method, window('2025-06-01', '2025-06-30'));
        const c = await rpc(other, method, window('2025-06-01', '2025-06-30'));
        expect(b.text).toBe(a.text);
        expect(c.text).not.toBe(a.text);
      }
    } finally {
      await twin.close();
      await other.close();
    }
    expect(makePeople(40, 42)).toEqual(sim.dataset.people);
  });

  it('files sessions under the local date of their start (lunches by their own start)', async () => {
    const day = '2025-11-12'; // Wednesday
    const sessions = await rpc(sim, 'timesheet', window(day));
    const all = sessions.body.result.flatMap((e: Json) => e.sessions);
    expect(all.every((s: Json) => s.startDate.startsWith(day))).toBe(true);
    const night = sessions.body.result.find((e: Json) => e.employeeNumber === 1007).sessions[0]; // a night worker
    expect(night.endDate.startsWith('2025-11-13')).toBe(true);
    const nightLunch = night.lunches[0];
    expect(nightLunch.startDate.startsWith('2025-11-13')).toBe(true);

    const lunchesThatDay = await rpc(sim, 'lunches', window(day));
    const lunchesNextDay = await rpc(sim, 'lunches', window('2025-11-13'));
    const of = (r: RpcReply) => r.body.result.find((e: Json) => e.employeeNumber === 1007)?.sessions ?? [];
    expect(of(lunchesThatDay).map((l: Json) => l.startDate)).not.toContain(nightLunch.startDate);
    expect(of(lunchesNextDay).map((l: Json) => l.startDate)).toContain(nightLunch.startDate);
  });

  it('reports totals that add up with the sessions returned', async () => {
    const w = window('2025-09-01', '2025-09-30');
    const r = await rpc(sim, 'extended-sessions', w);
    let absences = 0;
    for (const e of r.body.result) {
      const n = Number(e.employeeNumber);
      const worked = e.sessions.filter((s: Json) => !s.isAbsence).reduce((a: number, s: Json) => a + (s.duration ?? 0), 0);
      const leave = e.sessions.filter((s: Json) => s.isAbsence).reduce((a: number, s: Json) => a + s.duration, 0);
      expect(e.totalWorkedSeconds).toBe(worked);
      expect(e.totalLeaveSeconds).toBe(leave);
      let expected = 0;
      for (let d = 1; d <= 30; d += 1) expected += sim.dataset.expectedSecondsOn(n, `2025-09-${String(d).padStart(2, '0')}`);
      expect(e.expectedSeconds).toBe(expected);
      for (const s of e.sessions.filter((x: Json) => x.isAbsence)) {
        absences += 1;
        expect(s.duration).toBe(sim.dataset.expectedSecondsOn(n, s.startDate.slice(0, 10)));
        expect(s.absenceName).toEqual(expect.any(String));
        expect(s.absenceApprovedDate).toMatch(STAMP);
      }
    }
    expect(absences).toBeGreaterThan(0);
    // the attendance interface the clockodo simulator uses agrees with the wire
    const truth = sim.dataset.sessionsInWindow('2025-09-10', '2025-09-10').filter((s) => s.employeeNumber === 1002 && !s.absence);
    const net = truth.reduce((a, s) => a + (s.duration ?? 0), 0) - truth.flatMap((s) => s.lunches).reduce((a, l) => a + (Date.parse(l.endDate.replace(' ', 'T') + 'Z') - Date.parse(l.startDate.replace(' ', 'T') + 'Z')) / 1000, 0);
    expect(sim.dataset.netSecondsOn(1002, '2025-09-10')).toBe(net);
  });

  it('never overlaps a person’s sessions and keeps lunches and work logs inside them (two years)', () => {
    const dataset = new TimeclockDataset({ employees: 40, today: TODAY });
    const problems: string[] = [];
    const kinds = { absences: 0, splitDays: 0, nightShifts: 0 };
    for (const { person, days } of dataset.employeesInWindow('2024-01-01', TODAY)) {
      let previousEnd = Number.NEGATIVE_INFINITY;
      for (const { sessions } of days) {
        if (sessions.filter((s) => !s.absence).length > 1) kinds.splitDays += 1;
        for (const s of sessions) {
          if (s.absence) {
            kinds.absences += 1;
            continue;
          }
          if (s.startDate.slice(11) >= '22:00:00') kinds.nightShifts += 1;
          const start = stampToEpoch(s.startDate, s.timezone);
          const end = s.endDate === null ? start : stampToEpoch(s.endDate, s.timezone);
          if (start < previousEnd || end < start) problems.push(`${person.employeeNumber} ${s.startDate}`);
          for (const inner of [...s.lunches, ...s.workLogs]) {
            const a = stampToEpoch(inner.startDate, s.timezone);
            const b = stampToEpoch(inner.endDate, s.timezone);
            if (!(start <= a && a < b && b <= end)) problems.push(`${person.employeeNumber} ${s.startDate} inner ${inner.startDate}`);
          }
          previousEnd = end;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(kinds.absences).toBeGreaterThan(100);
    expect(kinds.splitDays).toBeGreaterThan(100);
    expect(kinds.nightShifts).toBeGreaterThan(100);
  });

  it('plants stamps inside DST gaps and overlaps, with real elapsed durations', async () => {
    const find = async (startDate: string, endDate: string, employee: number) => {
      const r = await rpc(sim, 'extended-sessions', window(startDate, endDate));
      return r.body.result.find((e: Json) => e.employeeNumber === String(employee)).sessions;
    };
    // Berlin spring 2025: 02:00 -> 03:00. Start in the gap is read as 03:30 CEST.
    const berlin = await find('2025-03-29', '2025-03-30', 1002);
    expect(berlin).toContainEqual(expect.objectContaining({ startDate: '2025-03-30 02:30:00', endDate: '2025-03-30 10:00:00', duration: 6.5 * 3600 }));
    const berlinB = await find('2025-03-29', '2025-03-29', 1006);
    expect(berlinB).toContainEqual(expect.objectContaining({ startDate: '2025-03-29 22:00:00', endDate: '2025-03-30 02:30:00', duration: 4.5 * 3600 }));
    // New York fall 2025: 01:00-02:00 twice; 01:30 is read with the earlier offset (EDT).
    const ny = await find('2025-11-01', '2025-11-02', 1003);
    expect(ny).toContainEqual(expect.objectContaining({ startDate: '2025-11-01 22:00:00', endDate: '2025-11-02 01:30:00', duration: 3.5 * 3600 }));
    const nyB = await find('2025-11-02', '2025-11-02', 1011);
    expect(nyB).toContainEqual(expect.objectContaining({ startDate: '2025-11-02 01:30:00', endDate: '2025-11-02 09:00:00', duration: 8.5 * 3600 }));
    // Jerusalem 2024: spring on Friday 2024-03-29, fall on 2024-10-27.
    expect(await find('2024-03-29', '2024-03-29', 1001)).toContainEqual(expect.objectContaining({ startDate: '2024-03-29 02:30:00', duration: 6.5 * 3600 }));
    expect(await find('2024-10-27', '2024-10-27', 1005)).toContainEqual(expect.objectContaining({ startDate: '2024-10-27 01:30:00', duration: 8.5 * 3600 }));
    expect(sim.dataset.dstPlants(2024).filter((p) => p.timezone === 'Europe/London')).toHaveLength(4);
  });

  it('keeps today’s last session open', async () => {
    const r = await rpc(sim, 'extended-sessions', window('2025-11-19', TODAY));
    const open = r.body.result.flatMap((e: Json) => e.sessions).filter((s: Json) => s.endDate === null);
    expect(open.length).toBeGreaterThan(10);
    for (const s of open) {
      expect(s.startDate.startsWith(TODAY)).toBe(true);
      expect([s.duration, s.endSourceType, s.endDateSentAt, s.isAbsence]).toEqual([null, null, null, false]);
    }
    const tomorrow = await rpc(sim, 'sessions', window('2025-11-21'));
    expect(tomorrow.body.result).toEqual([]);
  });
});

describe('mutations', () => {
  it('shows edits, deletions and additions in the next answer', async () => {
    const day = '2025-10-15';
    const before = await rpc(sim, 'timesheet', window(day));
    const [first, second, third] = before.body.result;
    const target = first.sessions[0];

    // edit through the control API
    const edit = await fetch(controlUrl(sim, '/_sim/sessions/edit'), {
      method: 'POST',
      body: JSON.stringify({ employeeNumber: first.employeeNumber, startDate: target.startDate, patch: { endDate: `${day} 19:45:00`, locationType: 'field' } }),
    });
    expect(edit.status).toBe(200);
    // delete and add through the dataset
    sim.dataset.deleteSession(second.employeeNumber, second.sessions[0].startDate);
    sim.dataset.addSession(third.employeeNumber, { startDate: `${day} 20:00:00`, endDate: `${day} 21:30:00`, startNote: 'Evening on-call' });
    // moving a start is a delete + add
    const moved = sim.dataset.editSession(third.employeeNumber, third.sessions[0].startDate, { startDate: `${day} 06:00:00` });
    expect(moved.startDate).toBe(`${day} 06:00:00`);

    const after = await rpc(sim, 'timesheet', window(day));
    const of = (n: number) => after.body.result.find((e: Json) => e.employeeNumber === n)?.sessions ?? [];
    expect(of(first.employeeNumber)[0]).toMatchObject({ startDate: target.startDate, endDate: `${day} 19:45:00`, locationType: 'field' });
    expect(of(second.employeeNumber).map((s: Json) => s.startDate)).not.toContain(second.sessions[0].startDate);
    const thirdStarts = [`${day} 06:00:00`, ...third.sessions.slice(1).map((s: Json) => s.startDate), `${day} 20:00:00`];
    expect(of(third.employeeNumber).map((s: Json) => s.startDate)).toEqual(thirdStarts);

    const missing = await fetch(controlUrl(sim, '/_sim/sessions/delete'), { method: 'POST', body: JSON.stringify({ employeeNumber: 1001, startDate: `${day} 03:03:03` }) });
    expect(missing.status).toBe(404);
    expect(() => sim.dataset.addSession(1001, { startDate: '2025-10-15 25:00:00' })).toThrow(/stamp/);
  });
});

describe('faults and shutdown', () => {
  it('injects api errors and a timeout that does not hang close()', async () => {
    const s = await startTimeclockSimulator({ token: TOKEN, today: TODAY, employees: 4 });
    const add = (rule: object) => fetch(controlUrl(s, '/_sim/faults'), { method: 'POST', body: JSON.stringify(rule) });
    expect((await add({ kind: 'api-error', variant: 'internal', count: 1 })).status).toBe(201);
    s.faults.add({ kind: 'unauthorized', count: 1, match: { rpcMethod: 'lunches' } });
    const internal = await rpc(s, 'sessions', window('2025-01-06'), 5);
    expect([internal.status, internal.body]).toEqual([200, { jsonrpc: '2.0', id: 5, error: { code: -32603, message: 'Internal error' } }]);
    expect((await rpc(s, 'sessions', window('2025-01-06'))).status).toBe(200);
    expect((await rpc(s, 'lunches', window('2025-01-06'), 9)).body).toEqual({ jsonrpc: '2.0', id: 9, error: { code: -32001, message: 'Unauthorized' } });

    await add({ kind: 'timeout' });
    const hanging = fetch(s.url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ jsonrpc: '2.0', method: 'sessions', params: window('2025-01-06'), id: 1 }) });
    const outcome = hanging.then(
      () => 'answered',
      () => 'failed',
    );
    while (!s.faults.injected.get('timeout')) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await outcome).toBe('failed');
    expect(s.requests.map((r) => [r.rpcMethod, r.status])).toEqual([
      ['sessions', 200],
      ['sessions', 200],
      ['lunches', 401],
      ['sessions', 0],
    ]);
  });
});

describe('scale', () => {
  it('serves a 31-day window for 2,000 employees', async () => {
    const dataset = new TimeclockDataset({ employees: 2000, today: TODAY });
    const big = await startTimeclockSimulator({ token: TOKEN, today: TODAY, employees: 2000 });
    try {
      const r = await rpc(big, 'extended-sessions', window('2025-01-01', '2025-01-31'));
      expect(r.body.result.length).toBeGreaterThan(1800);
      const sessions = r.body.result.reduce((n: number, e: Json) => n + e.sessions.length, 0);
      expect(sessions).toBeGreaterThan(40_000);
      expect(sessions).toBe(dataset.sessionsInWindow('2025-01-01', '2025-01-31').length);
    } finally {
      await big.close();
    }
  }, 30_000);
});

describe('people', () => {
  it('are deterministic, numbered from 1001, spread over zones, with non-ASCII names', () => {
    const people = makePeople(200, 3);
    expect(makePeople(200, 3)).toEqual(people);
    expect(people[0]?.employeeNumber).toBe(1001);
    expect(people.slice(0, 4).map((p) => p.timezone)).toEqual(['Asia/Jerusalem', 'Europe/Berlin', 'America/New_York', 'Europe/London']);
    expect(new Set(people.map((p) => p.email)).size).toBe(200);
    expect(people.some((p) => /[^\x00-\x7f]/.test(p.firstName + p.lastName))).toBe(true);
    expect(people.every((p) => /^[a-z0-9.]+@[a-z.-]+$/.test(p.email))).toBe(true);
  });
});
