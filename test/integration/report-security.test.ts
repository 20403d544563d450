/**
 * `punchcard report` under the security review (issue 12): it runs without clockodo users loaded,
 * and its --out file is created exclusively, owner-only, never through a symlink.
 */
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { transformEntrygroups } from '../../src/transform/clockodo/entrygroups.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const window = { start: '2025-10-20', end: '2025-10-31' };
const src = { startSourceType: 'web', endSourceType: 'web', workLogs: [], lunches: [] };
const timesheet = [{ employeeNumber: 3001, email: 'anna@example.com', sessions: [{ startDate: '2025-10-24 08:00:00', endDate: '2025-10-24 16:00:00', timezone: 'Europe/Berlin', ...src }] }];
const entrygroups = {
  groups: [
    { groupedBy: 'users_id', group: '501', name: 'Anna Adler', number: '3001', restrictions: [], duration: 3_600,
      sub_groups: [{ groupedBy: 'day', group: '2025-10-24', name: '2025-10-24', restrictions: [], duration: 3_600 }] },
  ],
};

let db: TestDatabase;
let dir: string;
const report = (out: string, ...extra: string[]) => runCli(['report', '--month', '2025-10', '--out', out, ...extra], cliEnv({ DATABASE_URL: db.url }));

beforeAll(async () => {
  db = await createTestDatabase();
  await seedBatch(db.pool, 'timeclock', 'timesheet', 'default', window, transformTimesheet(timesheet, 'default', window));
  // No clockodo users stream: the booking has no link and no user row.
  await seedBatch(db.pool, 'clockodo', 'entrygroups', 'default', window,
    transformEntrygroups(entrygroups, { account: 'default', grouping: ['users_id', 'day'], roundToMinutes: 0, window }));
  dir = mkdtempSync(join(tmpdir(), 'punchcard-report-sec-'));
});
afterAll(async () => db?.drop());

describe('report', () => {
  it('security #12: without clockodo users it still writes the report, naming bookers as the entry groups do', async () => {
    const out = join(dir, 'no-users.html');
    const result = await report(out);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<td>2025-10-24</td><td>Anna Adler</td>');
    expect(html).toContain('<td>2025-10-24</td><td>Employee 3001</td>');
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM reporting.reconciliation_daily WHERE display_name IS NULL`);
    expect(rows[0].n).toBe(0);
  });

  it('security #11: an existing file or symlink at --out is refused (exit 2, one line) and left as it was', async () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    const viaLink = join(dir, 'link.html');
    symlinkSync(victim, viaLink);
    const dangling = join(dir, 'dangling.html');
    symlinkSync(join(dir, 'would-be-created.txt'), dangling);
    for (const out of [victim, viaLink, dangling]) {
      const result = await report(out);
      expect(result.code, out).toBe(2);
      expect(result.stderr).toMatch(/^punchcard: --out .* already exists: choose another name, or pass --force to replace it\n$/);
    }
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(viaLink).isSymbolicLink()).toBe(true);
    expect(existsSync(join(dir, 'would-be-created.txt'))).toBe(false);
  });

  it('security #11: --force replaces the name itself: a symlink is replaced, not followed; the file is 0600 from the start', async () => {
    const victim = join(dir, 'victim2.txt');
    writeFileSync(victim, 'precious');
    const viaLink = join(dir, 'link2.html');
    symlinkSync(victim, viaLink);
    const result = await report(viaLink, '--force');
    expect(result.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(viaLink).isFile()).toBe(true);
    expect(statSync(viaLink).mode & 0o777).toBe(0o600);

    const open = join(dir, 'world-readable.html');
    writeFileSync(open, 'old');
    chmodSync(open, 0o644);
    const inode = statSync(open).ino;
    expect((await report(open, '--force')).code).toBe(0);
    // A new file took the name: the old 0644 one never held report data.
    expect(statSync(open).ino).not.toBe(inode);
    expect(statSync(open).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('security #11: a missing directory is one line, exit 2', async () => {
    const result = await report(join(dir, 'missing', 'report.html'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^punchcard: --out .*report\.html: the directory .*missing does not exist\n$/);
  });
});
