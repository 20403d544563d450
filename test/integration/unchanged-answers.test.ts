/**
 * An unchanged re-sync costs about what reading the answers costs: a window whose answer equals
 * the one it last committed is recorded in the ledger without being transformed, staged or merged,
 * and still reports what it received and rejected. Anything that could make that wrong loads the
 * window again: a changed answer, or another window of the stream that loaded some of its days since.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { runPlan } from '../../src/pipeline/run.ts';
import type { DateWindow, Stream } from '../../src/pipeline/stream.ts';
import type { ClockodoClient, UsersListing } from '../../src/sources/clockodo/client.ts';
import { usersStream } from '../../src/sources/clockodo/streams/users.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { countingTransforms } from '../support/streams.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const user = (id: unknown, name: string) => ({ id, name, number: String(id), email: `${name.toLowerCase()}@example.com`, active: true, timezone: 'Europe/Berlin', teams_id: null });

/** The users stream over a listing the test controls, counting its transforms. */
function fakeUsers(): { stream: Stream; listing: UsersListing; transforms: () => number } {
  const listing: UsersListing = { users: [], pages: 1, countItems: undefined };
  const client = { users: async () => structuredClone(listing) } as unknown as ClockodoClient;
  return { ...countingTransforms(usersStream(client, 'acme')), listing };
}

async function run(stream: Stream, window: DateWindow) {
  const summary = await runPlan({
    pool: db.pool,
    logger: silentLogger(),
    plan: { kind: 'backfill', sources: ['clockodo'], streams: ['users'], from: window.start, to: window.end, windowDays: 1 },
    tasks: [{ stream, window }],
    concurrency: 1,
  });
  expect(summary.status).toBe('succeeded');
  const { rows } = await db.pool.query(
    `SELECT rows_received AS received, rows_inserted AS inserted, rows_updated AS updated, rows_deleted AS deleted, rows_rejected AS rejected
     FROM punchcard.sync_windows WHERE run_id = $1`,
    [summary.runId],
  );
  return { runId: summary.runId, window: rows[0] };
}

const live = async () =>
  (await db.pool.query(`SELECT id::int, name FROM punchcard.ck_users WHERE account = 'acme' AND deleted_at IS NULL ORDER BY id`)).rows.map((r) => `${r.id} ${r.name}`);
const rejects = async () => (await db.pool.query(`SELECT reason, run_id::int AS run FROM punchcard.rejects WHERE account = 'acme'`)).rows;

describe('an unchanged answer', () => {
  const january: DateWindow = { start: '2026-01-01', end: '2026-01-31' };

  it('is recorded without transforming or loading it, with its counts and rejects intact; a change loads again', async () => {
    const { stream, listing, transforms } = fakeUsers();
    listing.users = [user(1, 'Ada'), user(2, 'Ben'), user('x', 'Bad')];

    const first = await run(stream, january);
    expect(first.window).toEqual({ received: 3, inserted: 2, updated: 0, deleted: 0, rejected: 1 });
    expect(transforms()).toBe(1);

    const again = await run(stream, january);
    expect(transforms()).toBe(1);
    expect(again.window).toEqual({ received: 3, inserted: 0, updated: 0, deleted: 0, rejected: 1 });
    expect(await live()).toEqual(['1 Ada', '2 Ben']);
    // The window's reject is still there, and now belongs to the run that saw it last.
    expect(await rejects()).toEqual([{ reason: expect.stringMatching(/user id "x"/), run: again.runId }]);

    listing.users = [user(1, 'Ada')];
    const changed = await run(stream, january);
    expect(transforms()).toBe(2);
    expect(changed.window).toEqual({ received: 1, inserted: 0, updated: 0, deleted: 1, rejected: 0 });
    expect(await live()).toEqual(['1 Ada']);
    expect(await rejects()).toEqual([]);
  });

  it('is loaded again when another window of the stream loaded some of its days since', async () => {
    const { stream, listing, transforms } = fakeUsers();
    listing.users = [user(1, 'Ada')];
    await run(stream, january);
    const before = transforms();

    // A run over other bounds (another range) says something else about the same users...
    listing.users = [user(1, 'Ada Lovelace')];
    await run(stream, { start: '2026-01-15', end: '2026-02-15' });
    expect(await live()).toEqual(['1 Ada Lovelace']);

    // ...so January's answer, unchanged since January last loaded, is what the source says now.
    listing.users = [user(1, 'Ada')];
    const back = await run(stream, january);
    expect(transforms()).toBe(before + 2);
    expect(back.window).toMatchObject({ updated: 1 });
    expect(await live()).toEqual(['1 Ada']);
  });
});
