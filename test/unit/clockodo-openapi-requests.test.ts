/**
 * Every request the clockodo client builds, checked against the parameters clockodo's OpenAPI
 * (2026-03-12) lists for that operation: entrygroups answers 400 to a parameter it does not know,
 * and an ignored filter would widen an edit or delete. Also the values the OpenAPI constrains
 * (id filters ≥ 1, budget types), the answer of a first call that matches nothing, and the
 * configuration that shapes requests (External-Application ≤ 50, the two GET options).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClockodoClient, editBody, entrygroupsQueryString, type EntryFilter, type NewValues } from '../../src/sources/clockodo/client.ts';
import { externalApplication, loadConfig } from '../../src/config.ts';
import { ConfigError, SourceError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { SOURCE_PROBES } from '../../src/ops/check.ts';

// Copied by hand from docs/openapi.yaml (paths /v2/entrygroups get|put|delete, /v3/users get).
const FILTER = ['billable', 'budget_type', 'customers_id', 'lumpsum_services_id', 'projects_id', 'services_id', 'subprojects_id', 'teams_id', 'text', 'texts_id', 'users_id'];
const OPENAPI = {
  'GET /api/v2/entrygroups': ['calc_also_revenues_for_projects_with_hard_budget', ...FILTER.map((k) => `filter[${k}]`), 'grouping[]', 'prepend_customer_to_project_name', 'round_to_minutes', 'time_since', 'time_until'],
  'PUT /api/v2/entrygroups': ['time_since', 'time_until', 'users_id', 'customers_id', 'projects_id', 'subprojects_id', 'services_id', 'lumpsum_services_id', 'billable', 'text', 'hourly_rate', 'confirm_key', 'filter', ...FILTER.map((k) => `filter.${k}`)],
  'DELETE /api/v2/entrygroups': ['confirm_key', ...FILTER.map((k) => `filter[${k}]`), 'time_since', 'time_until'],
  'GET /api/v3/users': ['filter[active]', 'filter[fulltext]', 'filter[teams_id]', 'items_per_page', 'page', 'scope', 'sort'],
} as Record<string, string[]>;

/** Every filter and every new value the client knows, set. */
const FULL_FILTER: Required<EntryFilter> = {
  users_id: 1,
  customers_id: 2,
  projects_id: 3,
  subprojects_id: 4,
  services_id: 5,
  lumpsum_services_id: 6,
  teams_id: 7,
  billable: 1,
  text: 'x',
  texts_id: 8,
  budget_type: 'rep_filter_budget_soft_incomplete',
};
const FULL_VALUES: Required<NewValues> = { users_id: 1, customers_id: 2, projects_id: 3, subprojects_id: 4, services_id: 5, lumpsum_services_id: 6, billable: 2, text: 'y', hourly_rate: 90.5 };
const SINCE = '2026-09-01T00:00:00Z';
const UNTIL = '2026-09-01T23:59:59Z';

interface Seen {
  operation: string;
  keys: string[];
}

let server: Server;
let url: string;
const seen: Seen[] = [];
/** What the next PUT/DELETE without confirm_key answers. */
let firstAnswer: Record<string, unknown> = { confirm_key: 'k', affected_entries: 2 };
/** What GET entrygroups answers. */
let groupsAnswer: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = new URL(req.url ?? '/', 'http://x');
      const operation = `${req.method} ${target.pathname}`;
      const keys = [...target.searchParams.keys()];
      if (body) {
        const json = JSON.parse(body) as Record<string, unknown>;
        for (const [key, value] of Object.entries(json)) {
          keys.push(key);
          if (key === 'filter' && value && typeof value === 'object') keys.push(...Object.keys(value).map((k) => `filter.${k}`));
        }
      }
      seen.push({ operation, keys });
      const confirming = keys.includes('confirm_key');
      const answer =
        target.pathname === '/api/v3/users'
          ? { paging: { items_per_page: 1000, current_page: 1, count_pages: 1, count_items: 0 }, data: [] }
          : req.method === 'GET'
            ? { groups: groupsAnswer }
            : confirming
              ? { success: true, edited_entries: 2 }
              : firstAnswer;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  createClockodoClient({
    url,
    user: 'ops@example.com',
    apiKey: 'secret-key',
    externalApplication: 'punchcard;ops@example.com',
    entrygroupsPerMinute: 100_000,
    timeoutMs: 2000,
    retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1, maxRetryAfterMs: 1 },
    logger: createLogger({ level: 'silent' }),
  });

describe('requests against the OpenAPI', () => {
  it('sends no parameter the OpenAPI does not list, on any call the client makes', async () => {
    seen.length = 0;
    firstAnswer = { confirm_key: 'k', affected_entries: 2 };
    const api = client();
    await api.entrygroups({
      timeSince: SINCE,
      timeUntil: UNTIL,
      grouping: ['users_id', 'day'],
      filter: FULL_FILTER,
      roundToMinutes: 15,
      prependCustomerToProjectName: false,
      calcAlsoRevenuesForProjectsWithHardBudget: true,
    });
    for (const kind of ['edit', 'delete'] as const) {
      const change = { timeSince: SINCE, timeUntil: UNTIL, filter: FULL_FILTER, values: kind === 'edit' ? FULL_VALUES : undefined };
      const { confirmKey } = await api.requestChange(kind, change);
      await api.confirmChange(kind, change, confirmKey!);
    }
    await api.users();
    await api.ping();

    expect(new Set(seen.map((s) => s.operation))).toEqual(new Set(Object.keys(OPENAPI)));
    for (const { operation, keys } of seen) {
      const unknown = keys.filter((key) => !OPENAPI[operation]!.includes(key));
      expect(unknown, operation).toEqual([]);
    }
    // Everything the client can express reached the wire (so the check above saw it).
    const put = seen.filter((s) => s.operation === 'PUT /api/v2/entrygroups').flatMap((s) => s.keys);
    expect(put).toEqual(expect.arrayContaining(Object.keys(FULL_VALUES)));
    expect(put).not.toContain('texts_id');
  });

  it('writes budget types and both GET options as the API spells them', () => {
    const query = entrygroupsQueryString({
      timeSince: SINCE,
      timeUntil: UNTIL,
      grouping: ['day'],
      filter: { budget_type: 'rep_filter_budget_without_strict' },
      prependCustomerToProjectName: false,
      calcAlsoRevenuesForProjectsWithHardBudget: false,
    });
    expect(query).toBe(
      `time_since=${SINCE}&time_until=${UNTIL}&grouping[]=day&filter[budget_type]=rep_filter_budget_without_strict` +
        '&prepend_customer_to_project_name=false&calc_also_revenues_for_projects_with_hard_budget=false',
    );
  });

  it('never builds a request with an id filter below 1, an empty text filter or a budget type the API does not list', () => {
    const change = (filter: EntryFilter) => ({ timeSince: SINCE, timeUntil: UNTIL, filter, values: { billable: 1 } });
    expect(() => editBody(change({ projects_id: 0 }))).toThrow(/filter projects_id must be a whole number ≥ 1/);
    expect(() => entrygroupsQueryString({ timeSince: SINCE, timeUntil: UNTIL, grouping: ['day'], filter: { users_id: 0 } })).toThrow(/users_id/);
    expect(() => editBody(change({ budget_type: 'strict' as never }))).toThrow(/budget_type must be one of rep_filter_budget_strict/);
    expect(() => editBody(change({ text: ' ' }))).toThrow(/filter text must not be empty/);
    expect(editBody(change({ text: 'Meeting' }))).toMatchObject({ filter: { text: 'Meeting' } });
  });
});

describe('first call of a change that matches nothing', () => {
  it('comes back as 0 entries and no key when clockodo sends no confirm_key', async () => {
    firstAnswer = { affected_entries: 0 };
    const asked = await client().requestChange('delete', { timeSince: SINCE, timeUntil: UNTIL, filter: { users_id: 9 } });
    expect(asked).toEqual({ confirmKey: undefined, affectedEntries: 0 });
  });

  it('is still an invalid answer when entries were counted but no key came', async () => {
    firstAnswer = { affected_entries: 3 };
    const error = await client()
      .requestChange('delete', { timeSince: SINCE, timeUntil: UNTIL, filter: { users_id: 9 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/answer counts 3 entries but lacks "confirm_key"/);
  });
});

describe('X-Clockodo-External-Application', () => {
  const longUser = 'firstname.middlename.lastname@subsidiary.example-group.com'; // 58 characters

  it('fits 50 characters by default, also for a long API user address', () => {
    expect(externalApplication(undefined, undefined, 'ops@example.com')).toBe('punchcard;ops@example.com');
    const header = externalApplication(undefined, undefined, longUser);
    expect(header.length).toBeLessThanOrEqual(50);
    expect(header).toBe('punchcard;subsidiary.example-group.com');
    const config = loadConfig({ CLOCKODO_API_USER: longUser, CLOCKODO_API_KEY: 'k' });
    expect(config.clockodo!.externalApplication).toBe(header);
  });

  it('uses CLOCKODO_CONTACT when set, and refuses a configured value over 50 with one line naming the variable', () => {
    expect(loadConfig({ CLOCKODO_API_USER: longUser, CLOCKODO_API_KEY: 'k', CLOCKODO_CONTACT: 'it@example.com' }).clockodo!.externalApplication).toBe('punchcard;it@example.com');
    const tooLong = `acme-payroll-sync;${'a'.repeat(30)}@example.com`;
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ CLOCKODO_EXTERNAL_APPLICATION: tooLong }, 'CLOCKODO_EXTERNAL_APPLICATION', /^CLOCKODO_EXTERNAL_APPLICATION is 60 characters; clockodo accepts at most 50$/],
      [{ CLOCKODO_EXTERNAL_APPLICATION: 'no-contact' }, 'CLOCKODO_EXTERNAL_APPLICATION', /^CLOCKODO_EXTERNAL_APPLICATION must look like "<application name>;<contact e-mail>"$/],
      [{ CLOCKODO_CONTACT: longUser }, 'CLOCKODO_CONTACT', /^CLOCKODO_CONTACT is 58 characters; "punchcard;<contact>" must fit clockodo's 50 \(at most 40\)$/],
      [{ CLOCKODO_CONTACT: 'not an address' }, 'CLOCKODO_CONTACT', /^CLOCKODO_CONTACT must be one e-mail address$/],
    ];
    for (const [env, variable, message] of cases) {
      const error = (() => {
        try {
          loadConfig({ CLOCKODO_API_USER: 'ops@example.com', CLOCKODO_API_KEY: 'k', ...env });
        } catch (e) {
          return e;
        }
      })();
      expect(error, variable).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message, variable).toMatch(message);
      expect((error as ConfigError).message).not.toContain('\n');
    }
  });
});

describe('GET options as settings', () => {
  it('defaults to plain project names and clockodo\'s revenue rule, and refuses a value that is not a boolean', () => {
    const base = { CLOCKODO_API_USER: 'ops@example.com', CLOCKODO_API_KEY: 'k' };
    expect(loadConfig(base).clockodo).toMatchObject({ prependCustomerToProjectName: false, calcAlsoRevenuesForProjectsWithHardBudget: false });
    expect(
      loadConfig({ ...base, CLOCKODO_PREPEND_CUSTOMER_TO_PROJECT_NAME: 'true', CLOCKODO_CALC_ALSO_REVENUES_FOR_PROJECTS_WITH_HARD_BUDGET: '1' }).clockodo,
    ).toMatchObject({ prependCustomerToProjectName: true, calcAlsoRevenuesForProjectsWithHardBudget: true });
    expect(() => loadConfig({ ...base, CLOCKODO_PREPEND_CUSTOMER_TO_PROJECT_NAME: 'ture' })).toThrow(/^CLOCKODO_PREPEND_CUSTOMER_TO_PROJECT_NAME must be true or false$/);
  });
});

describe('punchcard check: the day group of a one-day probe', () => {
  const probe = async () => {
    const config = loadConfig({ CLOCKODO_API_URL: url, CLOCKODO_API_USER: 'ops@example.com', CLOCKODO_API_KEY: 'k' });
    const transport = { timeoutMs: 2000, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1, maxRetryAfterMs: 1 }, logger: createLogger({ level: 'silent' }) };
    return SOURCE_PROBES.clockodo(config.clockodo!, { config, logger: transport.logger, now: new Date('2026-09-02T10:00:00Z') }, transport);
  };
  const day = (group: unknown) => ({ grouped_by: 'day', group, name: 'x', duration: 60, restrictions: null });

  it('prints the value as sent and as read, asking for yesterday in CLOCKODO_TIMEZONE grouped by day only', async () => {
    seen.length = 0;
    groupsAnswer = [day('20260901')];
    expect(await probe()).toMatch(/; day group of 2026-09-01 sent as "20260901" \(read as 2026-09-01\)$/);
    const get = seen.find((s) => s.operation === 'GET /api/v2/entrygroups')!;
    expect(get.keys).toEqual(['time_since', 'time_until', 'grouping[]']);
    groupsAnswer = [];
    expect(await probe()).toMatch(/; day group of 2026-09-01: no time entries that day, so no day value to show$/);
  });

  it('fails the check when punchcard could not read the format', async () => {
    groupsAnswer = [day('01.09.2026')];
    await expect(probe()).rejects.toThrow(/the day group of 2026-09-01 was sent as "01\.09\.2026", which punchcard cannot read/);
    groupsAnswer = [];
  });
});
