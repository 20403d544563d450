/**
 * Hostile answers end where they should, through the real CLI: a record nested 20,000 levels deep
 * is one reject while the rest of its window loads, and an answer over PUNCHCARD_MAX_RESPONSE_MB
 * fails its own window with the reason (not retried) while the other windows load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startAnswerServer, type AnswerServer } from '../support/answer-server.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const TOKEN = 'answers-token-4c1d';
const DEPTH = 20_000;
let server: AnswerServer;
let db: TestDatabase;
const calls: string[] = [];

const session = (day: string) => ({
  startDate: `${day} 08:00:00`,
  endDate: `${day} 16:00:00`,
  timezone: 'Europe/Berlin',
  locationType: 'office',
  startSourceType: 'web',
  endSourceType: 'web',
});

beforeAll(async () => {
  server = await startAnswerServer((body, res) => {
    const { id, method } = JSON.parse(body);
    calls.push(method);
    res.writeHead(200, { 'content-type': 'application/json' });
    if (method === 'sessions') {
      // Written as text: building the nested value in JS would need the recursion under test.
      const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
      const hostile = JSON.stringify({ ...session('2026-09-02'), extra: '@DEEP@' }).replace('"@DEEP@"', deep);
      res.end(
        `{"jsonrpc":"2.0","id":${id},"result":[` +
          `${JSON.stringify({ employeeNumber: 1, email: 'a@example.com', sessions: [session('2026-09-01')] })},` +
          `{"employeeNumber":2,"email":"b@example.com","sessions":[${hostile},${JSON.stringify(session('2026-09-03'))}]},` +
          `${JSON.stringify({ employeeNumber: 3, email: 'c@example.com', sessions: [session('2026-09-04')] })}]}`,
      );
    } else {
      // 3 MB of padding in an otherwise valid answer: over a 1 MB cap.
      res.end(JSON.stringify({ jsonrpc: '2.0', id, result: [{ employeeNumber: 1, email: 'x'.repeat(3_000_000), sessions: [] }] }));
    }
  });
  db = await createTestDatabase();
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('security #6: hostile answers fail no more than their part', () => {
  it('security #6: a record nested 20,000 deep is one reject and the rest loads; an oversized answer fails its window with the reason', async () => {
    const result = await runCli(
      ['backfill', '--from', '2026-09-01', '--to', '2026-09-07', '--streams', 'sessions,lunches', '--concurrency', '1'],
      cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: server.url, TIMECLOCK_API_TOKEN: TOKEN, PUNCHCARD_MAX_RESPONSE_MB: '1', HTTP_RETRIES: '3' }),
    );
    expect(result.stdout).toMatch(/failed: lunches 2026-09-01\.\.2026-09-07: timeclock lunches 2026-09-01\.\.2026-09-07: answer larger than 1 MB after decompression \(PUNCHCARD_MAX_RESPONSE_MB\); stopped reading it/);
    expect(result.code).toBe(1);
    expect(calls.filter((m) => m === 'lunches')).toHaveLength(1); // not retried

    const { rows: windows } = await db.pool.query(`SELECT stream, status, error FROM punchcard.sync_windows ORDER BY stream`);
    expect(windows).toEqual([
      { stream: 'lunches', status: 'failed', error: expect.stringContaining('answer larger than 1 MB after decompression') },
      { stream: 'sessions', status: 'succeeded', error: null },
    ]);
    const { rows: rejects } = await db.pool.query(`SELECT employee_number::int, reason, raw->>'extra' AS extra FROM punchcard.rejects`);
    expect(rejects).toEqual([{ employee_number: 2, reason: 'record is nested deeper than 64 levels', extra: expect.any(String) }]);
    const { rows: sessions } = await db.pool.query(`SELECT employee_number::int, work_date::text FROM punchcard.tc_sessions ORDER BY 1, 2`);
    expect(sessions).toEqual([
      { employee_number: 1, work_date: '2026-09-01' },
      { employee_number: 2, work_date: '2026-09-03' },
      { employee_number: 3, work_date: '2026-09-04' },
    ]);
  });
});
