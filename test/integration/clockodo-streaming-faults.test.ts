/**
 * clockodo entrygroups answers are parsed and spooled as they arrive. A body that breaks off, is
 * cut short or is not JSON half-way through is fetched again from scratch (the warehouse ends up
 * exactly as after a clean run); one that never arrives whole fails its window with nothing of it
 * written, and no spool file is left behind either way.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { TimeclockDataset } from '../../src/simulators/timeclock/index.ts';
import { backfillInProcess } from '../support/backfill.ts';
import { warehouseChecksum } from '../support/checksum.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let sim: ClockodoSimulator;
let spoolDir: string;
const databases: TestDatabase[] = [];
const originalTmp = process.env.TMPDIR;

beforeAll(async () => {
  sim = await startClockodoSimulator({ attendance: new TimeclockDataset({ seed: 7, employees: 15, today: '2026-11-02' }), seed: 3 });
  // Spool files go to the system's temporary folder: pointed here, leftovers can be seen.
  spoolDir = await mkdtemp(path.join(tmpdir(), 'punchcard-spool-test-'));
  process.env.TMPDIR = spoolDir;
});
afterEach(() => {
  sim.faults.clear();
  sim.faults.injected.clear();
});
afterAll(async () => {
  if (originalTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = originalTmp;
  await sim?.close();
  await Promise.all(databases.map((db) => db.drop()));
  await rm(spoolDir, { recursive: true, force: true });
});

async function backfill(retries = '5', to = '2026-10-20') {
  const db = await createTestDatabase();
  databases.push(db);
  const env = {
    DATABASE_URL: db.url,
    CLOCKODO_API_URL: sim.url,
    CLOCKODO_API_USER: 'api-admin@punchcard.test',
    CLOCKODO_API_KEY: 'clockodo-admin-key',
    CLOCKODO_ENTRYGROUPS_PER_MINUTE: '6000',
    HTTP_RETRIES: retries,
    HTTP_TIMEOUT_MS: '5000',
  };
  const summary = await backfillInProcess({ pool: db.pool, env, from: '2026-09-14', to, streams: ['entrygroups'], fastRetries: true });
  return { db, summary };
}

describe('clockodo answers streamed as they arrive', () => {
  it('fetches an answer again when it breaks off, is cut short or stops being JSON mid-body: the warehouse equals a clean run', async () => {
    const clean = await backfill();
    expect(clean.summary.status).toBe('succeeded');

    const entrygroups = { path: '/api/v2/entrygroups' };
    sim.faults.add({ kind: 'reset', count: 1, match: entrygroups });
    sim.faults.add({ kind: 'truncated', count: 1, match: entrygroups });
    sim.faults.add({ kind: 'invalid-json', count: 1, match: entrygroups });
    const faulty = await backfill();
    expect([...sim.faults.injected.entries()].sort()).toEqual([
      ['invalid-json', 1],
      ['reset', 1],
      ['truncated', 1],
    ]);
    expect(faulty.summary.status).toBe('succeeded');
    expect(await warehouseChecksum(faulty.db.pool)).toEqual(await warehouseChecksum(clean.db.pool));
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('fails a window whose answer is cut short on every attempt, writing nothing of it', async () => {
    sim.faults.add({ kind: 'truncated', count: 2, match: { path: '/api/v2/entrygroups' } });
    // Both attempts (one retry) at the month are cut short.
    const { db, summary } = await backfill('1', '2026-09-30');
    expect(sim.faults.injected.get('truncated')).toBe(2);
    expect(summary.windows).toMatchObject({ failed: 1, succeeded: 0 });
    expect(summary.failures[0]).toMatchObject({ window: { start: '2026-09-14', end: '2026-09-30' }, error: expect.stringMatching(/answer is not valid JSON/) });
    const { rows } = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM punchcard.ck_entrygroups) AS rows,
              (SELECT count(*)::int FROM punchcard.raw_answers) AS raw_answers,
              (SELECT array_agg(status) FROM punchcard.sync_windows) AS ledger`,
    );
    expect(rows[0]).toEqual({ rows: 0, raw_answers: 0, ledger: ['failed'] });
    expect(await readdir(spoolDir)).toEqual([]);
  });
});
