/**
 * `punchcard clockodo edit|delete` through the real CLI (stdin piped, as a script would) and, for
 * the terminal question, in-process with a stdin that says it is a TTY: input is checked before
 * any request, the count is shown before anything changes, nothing changes without a yes, and
 * after a change the warehouse is re-synced.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { TimeclockDataset } from '../../src/simulators/timeclock/index.ts';
import { clockodoChangeCommand, parseChangeFlags, type ClockodoChangeFlags, type ClockodoIO } from '../../src/cli/commands/clockodo.ts';
import { editBody } from '../../src/sources/clockodo/client.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { AbortedError, UsageError } from '../../src/errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { clockodoSimulatorEnv, runCli } from '../support/cli.ts';

const FROM = '2026-09-01';
const TO = '2026-09-30';

let sim: ClockodoSimulator;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await startClockodoSimulator({ attendance: new TimeclockDataset({ seed: 7, employees: 8, today: '2026-10-15' }), seed: 11 });
  db = await createTestDatabase();
  env = clockodoSimulatorEnv(sim.url, db.url);
  const loaded = await runCli(['backfill', '--source', 'clockodo', '--streams', 'entrygroups', '--from', FROM, '--to', TO], env);
  expect(loaded.stderr).toBe('');
  expect(loaded.code).toBe(0);
});

afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

/** A user with entries on `day` (Europe/Berlin), and those entries. */
function busyUserOn(day: string, skip: number[] = []) {
  const entries = sim.dataset.entriesBetween(`${day}T00:00:00Z`, `${day}T20:00:00Z`).filter((e) => !skip.includes(e.users_id));
  const usersId = entries[0]!.users_id;
  return { usersId, entries: sim.dataset.entriesBetween(`2026-09-${String(Number(day.slice(8)) - 1).padStart(2, '0')}T22:00:00Z`, `${day}T21:59:59Z`, { users_id: usersId }) };
}

async function viewRows(usersId: number, day: string) {
  const { rows } = await db.pool.query(
    `SELECT billable, sum(seconds)::int AS seconds FROM reporting.clockodo_time WHERE users_id = $1 AND work_date = $2 GROUP BY 1 ORDER BY 1`,
    [usersId, day],
  );
  return rows;
}

const changeRequests = (from: number) => sim.requests.slice(from).filter((r) => r.path === '/api/v2/entrygroups' && r.httpMethod !== 'GET');

describe('punchcard clockodo edit|delete', () => {
  it('refuses bad input before any request: one line, exit 2', async () => {
    const before = sim.requests.length;
    const context = { config: loadConfig(env), logger: createLogger({ level: 'silent' }), signal: new AbortController().signal, interactive: false };
    const day = { since: '2026-09-10', until: '2026-09-10', yes: true };
    const cases: Array<['edit' | 'delete', ClockodoChangeFlags, RegExp]> = [
      ['delete', { ...day, since: '2026-09-11' }, /^--since 2026-09-11 is after --until 2026-09-10$/],
      ['delete', { since: '2026-09-10T12:00:00Z', until: '2026-09-10T11:59:59Z' }, /is after --until/],
      ['delete', { ...day, billable: '3' }, /^--billable must be 0 \(not billable\), 1 \(billable\) or 2 \(billed\), got "3"$/],
      ['delete', { ...day, budgetType: 'hard' }, /^--budget-type must be one of strict, strict-completed, .*without-strict \(or the API's rep_filter_budget_… value\), got "hard"$/],
      ['delete', { ...day, budgetType: 'rep_filter_budget_hard' }, /^--budget-type must be one of /],
      ['delete', { ...day, usersId: '5O1' }, /^--users-id must be a whole number ≥ 1, got "5O1"$/],
      // Issue 16: every id filter has a minimum of 1; 0 ("without project" in the UI) would be ignored and widen the selection.
      ...(['usersId', 'customersId', 'projectsId', 'subprojectsId', 'servicesId', 'lumpsumServicesId', 'teamsId', 'textsId'] as const).map(
        (flag): ['edit' | 'delete', ClockodoChangeFlags, RegExp] => [
          'delete',
          { ...day, [flag]: '0' },
          new RegExp(`^--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} 0 is not a valid filter: clockodo's filter ids start at 1 `),
        ],
      ),
      ['delete', { ...day, textsId: '1.5' }, /^--texts-id must be a whole number/],
      ['delete', { ...day, text: 'x', textsId: '4001' }, /^give either --text or --texts-id, not both$/],
      // An empty text filter may be read as no filter at all and widen the change to the whole range.
      ['delete', { ...day, text: '' }, /^--text must not be empty/],
      ['edit', { ...day, text: '  ', setBillable: '1' } as ClockodoChangeFlags, /^--text must not be empty/],
      ['delete', { ...day, since: '10.09.2026' }, /^--since must be a day YYYY-MM-DD \(local, Europe\/Berlin\) or an instant YYYY-MM-DDTHH:MM:SSZ \(or with an offset\), got "10.09.2026"$/],
      // No offset: a wall-clock time, not an instant. Sub-seconds: clockodo stamps have none.
      ['delete', { ...day, until: '2026-09-10T23:00:00' }, /^--until must be a day/],
      ['delete', { ...day, until: '2026-09-10T23:00:00.500Z' }, /^--until must be a day/],
      ['delete', { ...day, until: '2026-09-10T23:00:00.0004Z' }, /^--until must be a day/],
      // Hour 24 and impossible offsets would be read as another instant, not refused.
      ['delete', { ...day, until: '2026-09-10T24:00:00Z' }, /^--until must be a day/],
      ['delete', { ...day, since: undefined, timeSince: '2026-09-10T00:00:00+99:99' }, /^--time-since must be a day/],
      ['delete', { ...day, since: undefined, timeSince: '2026-09-10', until: undefined }, /^--until is required/],
      ['delete', { ...day, timeSince: '2026-09-10' }, /^give either --since or --time-since, not both$/],
      ['edit', { ...day, usersId: '501' }, /^edit needs at least one new value \(--set-users-id, /],
      ['edit', { ...day, setUsersId: '0' }, /^--set-users-id must be a whole number ≥ 1, got "0"$/],
      ['edit', { ...day, setBillable: 'yes' }, /^--set-billable must be 0/],
      ['edit', { ...day, setHourlyRate: '12,50' }, /^--set-hourly-rate must be a number ≥ 0 such as 85 or 92.50, got "12,50"$/],
    ];
    for (const [kind, flags, message] of cases) {
      const error = await clockodoChangeCommand(context, kind, flags).catch((e: unknown) => e);
      expect(error, JSON.stringify(flags)).toBeInstanceOf(UsageError);
      expect((error as UsageError).message, JSON.stringify(flags)).toMatch(message);
    }
    // The same through the real CLI: one line on stderr, exit code 2.
    const spawned = await Promise.all([
      runCli(['clockodo', 'delete', '--since', '2026-09-10', '--until', '2026-09-09', '--yes'], env),
      runCli(['clockodo', 'edit', '--since', '2026-09-10', '--until', '2026-09-10', '--set-billable', '3', '--yes'], env),
      runCli(['clockodo', 'delete', '--since', '2026-09-10', '--until', '2026-09-10', '--projects-id', '0', '--yes'], env),
      // texts_id is no new value clockodo's PUT takes: the option is gone.
      runCli(['clockodo', 'edit', '--since', '2026-09-10', '--until', '2026-09-10', '--set-texts-id', '4001', '--yes'], env),
    ]);
    expect(spawned.map((r) => [r.code, r.stdout])).toEqual([
      [2, ''],
      [2, ''],
      [2, ''],
      [2, ''],
    ]);
    expect(spawned[0]!.stderr).toBe('punchcard: --since 2026-09-10 is after --until 2026-09-09\n');
    expect(spawned[1]!.stderr).toBe('punchcard: --set-billable must be 0 (not billable), 1 (billable) or 2 (billed), got "3"\n');
    expect(spawned[2]!.stderr).toMatch(/^punchcard: --projects-id 0 is not a valid filter: clockodo's filter ids start at 1 /);
    expect(spawned[3]!.stderr).toMatch(/unknown option '--set-texts-id'/);
    expect(sim.requests.length).toBe(before);
  });

  it('shows the count first and changes nothing without a confirmation (a piped answer, --dry-run)', async () => {
    const day = '2026-09-08';
    const { usersId, entries } = busyUserOn(day);
    const mark = sim.requests.length;
    const args = ['clockodo', 'delete', '--since', day, '--until', day, '--users-id', String(usersId)];

    const piped = await runCli(args, env, { input: 'y\n' });
    expect(piped.stdout).toContain(`Selection: time entries 2026-09-07T22:00:00Z – 2026-09-08T21:59:59Z (local days ${day}..${day}, Europe/Berlin) where users_id=${usersId}`);
    expect(piped.stdout).toContain(`${entries.length} time ${entries.length === 1 ? 'entry' : 'entries'} will be deleted.`);
    expect(piped.stderr).toMatch(/^punchcard: stdin is not a terminal, so nobody can confirm: nothing was changed\. .*--yes/);
    expect(piped.code).toBe(1);

    const dry = await runCli([...args, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/will be deleted\.\nDry run: nothing was changed\./);

    // The document's own names, with instants in any ISO 8601 offset: the same selection.
    const aliased = await runCli(
      ['clockodo', 'delete', '--time-since', '2026-09-08T00:00:00.000+02:00', '--time-until', '2026-09-08T21:59:59Z', '--users-id', String(usersId), '--dry-run'],
      env,
    );
    expect(aliased.code, aliased.stderr).toBe(0);
    expect(aliased.stdout).toContain(`Selection: time entries 2026-09-07T22:00:00Z – 2026-09-08T21:59:59Z`);
    expect(aliased.stdout).toContain(`${entries.length} time ${entries.length === 1 ? 'entry' : 'entries'} will be deleted.`);

    expect(changeRequests(mark).map((r) => [r.httpMethod, r.query.includes('confirm_key')])).toEqual([
      ['DELETE', false],
      ['DELETE', false],
      ['DELETE', false],
    ]);
    expect(sim.dataset.entriesBetween(`2026-09-07T22:00:00Z`, `${day}T21:59:59Z`, { users_id: usersId })).toEqual(entries);
  });

  it('edits with --yes and the view reflects it after the automatic re-sync', async () => {
    const day = '2026-09-15';
    const { usersId, entries } = busyUserOn(day);
    const total = entries.reduce((sum, e) => sum + e.duration, 0);
    expect(await viewRows(usersId, day)).not.toEqual([{ billable: 2, seconds: total }]);

    const mark = sim.requests.length;
    const result = await runCli(['clockodo', 'edit', '--since', day, '--until', day, '--users-id', String(usersId), '--set-billable', '2', '--yes'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const n = entries.length;
    expect(result.stdout).toContain(`${n} time ${n === 1 ? 'entry' : 'entries'} will be edited: billable → 2 (billed).`);
    expect(result.stdout).toContain(`${n} time ${n === 1 ? 'entry' : 'entries'} edited.`);
    expect(result.stdout).toMatch(/Warehouse re-synced: entrygroups 2026-09-01\.\.2026-09-30 \(run \d+: /);
    expect(result.stdout.indexOf('will be edited')).toBeLessThan(result.stdout.indexOf('edited.'));

    expect(await viewRows(usersId, day)).toEqual([{ billable: 2, seconds: total }]);
    expect(sim.requests.slice(mark).map((r) => r.httpMethod)).toEqual(['PUT', 'PUT', 'GET']);
  });

  it('asks on a terminal: "n" changes nothing, "y" deletes and re-syncs', async () => {
    const day = '2026-09-22';
    const { usersId, entries } = busyUserOn(day);
    const context = { config: loadConfig(env), logger: createLogger({ level: 'silent' }), signal: new AbortController().signal, interactive: false };
    const terminal = (answer: string): { io: ClockodoIO; output: () => string } => {
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (chunk) => {
        text += String(chunk);
        // Answer only once the question is on the screen.
        if (text.includes('Proceed? [y/N] ') && !stdin.writableEnded) stdin.end(answer);
      });
      return { io: { stdin, stdout }, output: () => text };
    };
    const flags = { since: day, until: day, usersId: String(usersId) };

    const no = terminal('n\n');
    await expect(clockodoChangeCommand(context, 'delete', flags, no.io)).rejects.toThrow(AbortedError);
    expect(no.output()).toMatch(/will be deleted\.\nProceed\? \[y\/N\] $/);
    expect(sim.dataset.entriesBetween(`2026-09-21T22:00:00Z`, `${day}T21:59:59Z`, { users_id: usersId })).toEqual(entries);

    const yes = terminal('y\n');
    const outcome = await clockodoChangeCommand(context, 'delete', flags, yes.io);
    expect(outcome).toMatchObject({ affected: entries.length, changed: entries.length, resync: { status: 'succeeded' } });
    expect(yes.output()).toContain(`${entries.length} time ${entries.length === 1 ? 'entry' : 'entries'} deleted.`);
    expect(sim.dataset.entriesBetween(`2026-09-21T22:00:00Z`, `${day}T21:59:59Z`, { users_id: usersId })).toEqual([]);
    expect(await viewRows(usersId, day)).toEqual([]);
  });

  it('sends --budget-type as the API value (short names mapped), and counts only those projects', async () => {
    const day = '2026-09-09';
    const mark = sim.requests.length;
    const result = await runCli(['clockodo', 'delete', '--since', day, '--until', day, '--budget-type', 'strict', '--dry-run'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const sent = changeRequests(mark);
    expect(sent.map((r) => new URLSearchParams(r.query).get('filter[budget_type]'))).toEqual(['rep_filter_budget_strict']);
    const strict = sim.dataset
      .entriesBetween('2026-09-08T22:00:00Z', `${day}T21:59:59Z`)
      .filter((e) => e.projects_id !== null && sim.dataset.projects.get(e.projects_id)?.budgetType === 'strict');
    const all = sim.dataset.entriesBetween('2026-09-08T22:00:00Z', `${day}T21:59:59Z`);
    expect(strict.length).toBeGreaterThan(0);
    expect(strict.length).toBeLessThan(all.length);
    expect(result.stdout).toContain(`${strict.length} time ${strict.length === 1 ? 'entry' : 'entries'} will be deleted.`);
    // The API's own spelling is accepted as input too.
    const parsed = parseChangeFlags('delete', { since: day, until: day, budgetType: 'rep_filter_budget_soft_completed' }, 'Europe/Berlin');
    expect(parsed.change.filter.budget_type).toBe('rep_filter_budget_soft_completed');
  });

  it('puts exactly the new values clockodo takes: --set-subprojects-id, never texts_id', () => {
    const parsed = parseChangeFlags('edit', { since: '2026-09-10', until: '2026-09-10', projectsId: '2001', setSubprojectsId: '3001', setText: 'Review' }, 'Europe/Berlin');
    expect(editBody(parsed.change)).toEqual({
      time_since: '2026-09-09T22:00:00Z',
      time_until: '2026-09-10T21:59:59Z',
      filter: { projects_id: 2001 },
      subprojects_id: 3001,
      text: 'Review',
    });
  });

  it('reports "0 time entries" and changes nothing when a first call matching nothing comes without a confirm key', async () => {
    const bare = await startClockodoSimulator({ attendance: new TimeclockDataset({ seed: 7, employees: 8, today: '2026-10-15' }), seed: 11, omitConfirmKeyWhenEmpty: true });
    try {
      const result = await runCli(['clockodo', 'delete', '--since', '2026-09-10', '--until', '2026-09-10', '--users-id', '999999', '--yes'], { ...env, CLOCKODO_API_URL: bare.url });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/\n0 time entries match: nothing was changed\.\n$/);
      expect(bare.requests.map((r) => [r.httpMethod, r.status, r.query.includes('confirm_key')])).toEqual([['DELETE', 200, false]]);
    } finally {
      await bare.close();
    }
  });
});
