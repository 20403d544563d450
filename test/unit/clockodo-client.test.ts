/**
 * The clockodo client: exact query encoding, both error body shapes, the entrygroups throttle (fake
 * clock, no real sleeping), Retry-After, users paging, and the two-step change with its confirm-key
 * failures, against the clockodo simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clockodoErrorMessage,
  createClockodoClient,
  createIntervalLimiter,
  deleteQueryString,
  editBody,
  entrygroupsQueryString,
  type Clock,
  type ClockodoClientOptions,
  type EntrygroupsChange,
} from '../../src/sources/clockodo/client.ts';
import { SourceError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { TimeclockDataset } from '../../src/simulators/timeclock/index.ts';

const SINCE = '2026-08-31T22:00:00Z';
const UNTIL = '2026-09-30T21:59:59Z';

describe('query encoding', () => {
  it('writes grouping[] and filter[...] with literal brackets and stamps with their colons', () => {
    expect(entrygroupsQueryString({ timeSince: SINCE, timeUntil: UNTIL, grouping: ['customers_id', 'users_id'] })).toBe(
      'time_since=2026-08-31T22:00:00Z&time_until=2026-09-30T21:59:59Z&grouping[]=customers_id&grouping[]=users_id',
    );
    expect(
      entrygroupsQueryString({
        timeSince: SINCE,
        timeUntil: UNTIL,
        grouping: ['users_id', 'day'],
        filter: { budget_type: 'rep_filter_budget_strict_completed', text: 'Review & fix [draft]=1', users_id: 501, projects_id: 7, billable: 2 },
        roundToMinutes: 15,
      }),
    ).toBe(
      'time_since=2026-08-31T22:00:00Z&time_until=2026-09-30T21:59:59Z&grouping[]=users_id&grouping[]=day' +
        '&filter[users_id]=501&filter[projects_id]=7&filter[billable]=2&filter[text]=Review%20%26%20fix%20%5Bdraft%5D%3D1' +
        '&filter[budget_type]=rep_filter_budget_strict_completed&round_to_minutes=15',
    );
  });

  it('sends DELETE as query parameters and PUT as a JSON body with a filter object', () => {
    const change: EntrygroupsChange = { timeSince: SINCE, timeUntil: UNTIL, filter: { users_id: 501, billable: 1 }, values: { billable: 2, text: 'Done' } };
    expect(deleteQueryString(change)).toBe('time_since=2026-08-31T22:00:00Z&time_until=2026-09-30T21:59:59Z&filter[users_id]=501&filter[billable]=1');
    expect(deleteQueryString(change, 'k3y')).toMatch(/&confirm_key=k3y$/);
    expect(editBody(change)).toEqual({ time_since: SINCE, time_until: UNTIL, filter: { users_id: 501, billable: 1 }, billable: 2, text: 'Done' });
    expect(editBody({ ...change, filter: {} }, 'k3y')).toEqual({ time_since: SINCE, time_until: UNTIL, billable: 2, text: 'Done', confirm_key: 'k3y' });
  });
});

describe('error bodies', () => {
  it('quotes the server in both documented shapes', () => {
    expect(clockodoErrorMessage('{"error":{"code":"validation_failed","message":"The given data was invalid.","fields":["time_since"]}}')).toBe(
      'The given data was invalid. (code validation_failed; fields: time_since)',
    );
    expect(clockodoErrorMessage({ error: { message: 'Wrong format', fields: [] } })).toBe('Wrong format');
    expect(clockodoErrorMessage({ errors: [{ type: 'validation', message: 'The given data was invalid.', details: 'time_since: Wrong format', path: 'time_since' }] })).toBe(
      'The given data was invalid. (time_since: Wrong format)',
    );
    expect(clockodoErrorMessage({ errors: [{ type: 'x', message: 'A', path: 'grouping' }, { message: 'B', details: 'more' }] })).toBe('A (at grouping); B (more)');
    expect(clockodoErrorMessage('<html>Bad gateway</html>')).toBeUndefined();
    expect(clockodoErrorMessage({ groups: [] })).toBeUndefined();
  });
});

describe('entrygroups throttle', () => {
  it('spaces request starts by 60 s / per-minute, without sleeping for real', async () => {
    let now = 1_000_000;
    const sleeps: number[] = [];
    const clock: Clock = { now: () => now, sleep: async (ms) => void sleeps.push(ms) };
    const limiter = createIntervalLimiter(10, clock);
    await limiter.acquire();
    await limiter.acquire();
    await limiter.acquire();
    expect(sleeps).toEqual([6000, 12000]);
    now += 30_000; // idle long enough: the next request goes at once
    await limiter.acquire();
    expect(sleeps).toEqual([6000, 12000]);
  });
});

describe('client against the simulator', () => {
  let sim: ClockodoSimulator;
  const logger = createLogger({ level: 'silent' });
  const attendance = new TimeclockDataset({ seed: 42, employees: 6, today: '2026-10-15' });
  const options = (overrides: Partial<ClockodoClientOptions> = {}): ClockodoClientOptions => ({
    url: sim.url,
    user: 'api-admin@punchcard.test',
    apiKey: 'clockodo-admin-key',
    externalApplication: 'punchcard;ops@example.com',
    entrygroupsPerMinute: 10_000,
    timeoutMs: 3000,
    retry: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5, maxRetryAfterMs: 5000 },
    logger,
    ...overrides,
  });
  const since = (requests: ClockodoSimulator['requests'], mark: number) => requests.slice(mark);

  beforeAll(async () => {
    sim = await startClockodoSimulator({ attendance, seed: 3 });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('authenticates, sends exactly the encoded query, and waits for the throttle between GETs', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const client = createClockodoClient(options({ entrygroupsPerMinute: 12, clock: { now: () => now, sleep: async (ms) => void sleeps.push(ms) } }));
    const mark = sim.requests.length;
    const query = { timeSince: SINCE, timeUntil: UNTIL, grouping: ['users_id', 'day'], filter: { billable: 1 } };
    const answer = await client.entrygroups(query);
    expect(Array.isArray(answer.groups)).toBe(true);
    await client.entrygroups(query);
    expect(sleeps).toEqual([5000]);
    expect(since(sim.requests, mark).map((r) => [r.httpMethod, r.path, r.query, r.status])).toEqual([
      ['GET', '/api/v2/entrygroups', entrygroupsQueryString(query), 200],
      ['GET', '/api/v2/entrygroups', entrygroupsQueryString(query), 200],
    ]);
  });

  it('turns error bodies into one-line SourceErrors quoting the server, without retrying a 4xx', async () => {
    const client = createClockodoClient(options());
    const query = { timeSince: SINCE, timeUntil: UNTIL, grouping: ['day'] };
    sim.faults.add({ kind: 'api-error', count: 1, match: { path: '/api/v2/entrygroups' } });
    await expect(client.entrygroups(query)).rejects.toThrow(
      /^clockodo GET entrygroups .*: request refused \(HTTP 422\): The given data was invalid\. \(code validation_failed; fields: time_since\)$/,
    );
    sim.faults.add({ kind: 'api-error', variant: 'errors', count: 1, match: { path: '/api/v2/entrygroups' } });
    await expect(client.entrygroups(query)).rejects.toThrow(/request refused \(HTTP 400\): The given data was invalid\. \(time_since: Wrong format\)$/);
    const wrongKey = createClockodoClient(options({ apiKey: 'not-the-key' }));
    const error = await wrongKey.entrygroups(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/credentials refused \(HTTP 401\): Authentication failed/);
    expect((error as SourceError).message).not.toContain('not-the-key');
  });

  it('honours Retry-After on a 429 and then succeeds', async () => {
    const client = createClockodoClient(options());
    sim.faults.add({ kind: 'rate-limit', retryAfterSeconds: 1, count: 1, match: { path: '/api/v2/entrygroups' } });
    const started = Date.now();
    await client.entrygroups({ timeSince: SINCE, timeUntil: UNTIL, grouping: ['day'] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('reads every page of users', async () => {
    const client = createClockodoClient(options({ usersPerPage: 2 }));
    const listing = await client.users();
    expect(listing.users.map((u) => (u as { id: number }).id)).toEqual(sim.dataset.users.map((u) => u.id));
    expect(listing.pages).toBe(Math.ceil(sim.dataset.users.length / 2));
    expect(listing.countItems).toBe(sim.dataset.users.length);
  });

  describe('two-step changes', () => {
    const day = (d: string): EntrygroupsChange => ({ timeSince: `${d}T00:00:00Z`, timeUntil: `${d}T23:59:59Z`, filter: {} });

    it('counts first, changes only with the key, and reports a reused, unknown or mismatched key clearly', async () => {
      const client = createClockodoClient(options());
      const change = { ...day('2026-09-08'), values: { billable: 2 } };
      const before = sim.dataset.entriesBetween(change.timeSince, change.timeUntil);
      const asked = await client.requestChange('edit', change);
      expect(asked.affectedEntries).toBe(before.length);
      expect(asked.affectedEntries).toBeGreaterThan(0);
      expect(sim.dataset.entriesBetween(change.timeSince, change.timeUntil)).toEqual(before);

      expect(await client.confirmChange('edit', change, asked.confirmKey!)).toBe(before.length);
      expect(sim.dataset.entriesBetween(change.timeSince, change.timeUntil).every((e) => e.billable === 2)).toBe(true);

      await expect(client.confirmChange('edit', change, asked.confirmKey!)).rejects.toThrow(
        /the confirm key was refused \(HTTP 400\): confirm_key has already been used.*Nothing was changed by this call; run the command again/,
      );
      await expect(client.confirmChange('delete', day('2026-09-09'), 'made-up-key')).rejects.toThrow(/the confirm key was refused \(HTTP 400\): confirm_key is unknown/);
      const other = await client.requestChange('delete', day('2026-09-09'));
      await expect(client.confirmChange('delete', day('2026-09-10'), other.confirmKey!)).rejects.toThrow(/confirm key was refused .*issued for a different request/);
      expect(sim.dataset.entriesBetween('2026-09-09T00:00:00Z', '2026-09-10T23:59:59Z').length).toBeGreaterThan(0);
    });

    it('retries the counting call, but never repeats a confirming call whose outcome is unknown', async () => {
      const client = createClockodoClient(options({ timeoutMs: 300 }));
      const change = day('2026-09-11');
      sim.faults.add({ kind: 'http-503', count: 1, match: { httpMethod: 'DELETE' } });
      let mark = sim.requests.length;
      const asked = await client.requestChange('delete', change);
      expect(since(sim.requests, mark).map((r) => r.status)).toEqual([503, 200]);

      sim.faults.add({ kind: 'timeout', count: 1, match: { httpMethod: 'DELETE' } });
      mark = sim.requests.length;
      await expect(client.confirmChange('delete', change, asked.confirmKey!)).rejects.toThrow(
        /no answer within 300 ms\. The outcome is unknown: clockodo may or may not have applied the change, and a confirmed change is not sent twice/,
      );
      expect(since(sim.requests, mark)).toHaveLength(1);

      // A 429 on the confirming call was refused before anything happened: that one is retried.
      const again = await client.requestChange('delete', change);
      sim.faults.add({ kind: 'rate-limit', retryAfterSeconds: 0, count: 1, match: { httpMethod: 'DELETE' } });
      mark = sim.requests.length;
      expect(await client.confirmChange('delete', change, again.confirmKey!)).toBe(again.affectedEntries);
      expect(since(sim.requests, mark).map((r) => r.status)).toEqual([429, 200]);
      expect(sim.dataset.entriesBetween(change.timeSince, change.timeUntil)).toEqual([]);
    });

    it('accepts the delete count as deleted_entries or edited_entries, and reports an expired key', async () => {
      // The default simulator answers edited_entries (OpenAPI); this one the German page's deleted_entries.
      const variant = await startClockodoSimulator({ attendance, seed: 3, deleteCountKey: 'deleted_entries', confirmKeyTtlMs: 300 });
      try {
        const client = createClockodoClient(options({ url: variant.url }));
        const asked = await client.requestChange('delete', day('2026-09-14'));
        expect(asked.affectedEntries).toBeGreaterThan(0);
        expect(await client.confirmChange('delete', day('2026-09-14'), asked.confirmKey!)).toBe(asked.affectedEntries);
        const late = await client.requestChange('delete', day('2026-09-15'));
        await new Promise((resolve) => setTimeout(resolve, 350));
        await expect(client.confirmChange('delete', day('2026-09-15'), late.confirmKey!)).rejects.toThrow(/the confirm key was refused \(HTTP 400\): confirm_key has expired/);
        expect(variant.dataset.entriesBetween('2026-09-15T00:00:00Z', '2026-09-15T23:59:59Z')).toHaveLength(late.affectedEntries);
      } finally {
        await variant.close();
      }
    });
  });
});
