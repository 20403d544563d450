/**
 * The streaming path (answer → transform group by group → spool → COPY → key checks in SQL) lands
 * exactly what the in-memory path (transformEntrygroups → finalizeBatch → loadWindow) lands, row
 * for row, reject for reject and (members handed on parsed only) byte for byte in the raw answer,
 * on an answer holding every case the whole-batch checks handle: identical and contradicting
 * copies of a key, a repeated group 0 at the top level and below it, unstorable text, a bad day.
 * Then a body read as it arrives: members kept in the raw answer as the source wrote them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/load/ledger.ts';
import { loadSpooledWindow, loadWindow } from '../../src/load/load-window.ts';
import { ckEntrygroups } from '../../src/load/tables-clockodo.ts';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { oneTableTransformer, openSpool } from '../../src/pipeline/spool.ts';
import { splitAnswer } from '../../src/sources/split-answer.ts';
import { createEntrygroupsTransformer, transformEntrygroups } from '../../src/transform/clockodo/entrygroups.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const window = { start: '2026-09-01', end: '2026-09-30' };
const grouping = ['projects_id', 'day', 'users_id'];
const leaf = (user: unknown, extra: Record<string, unknown> = {}) => ({ grouped_by: 'users_id', group: user, name: `User ${String(user)}`, restrictions: {}, duration: 3600, revenue: 60.5, ...extra });
const node = (by: string, group: unknown, sub: unknown[], name = `${by} ${String(group)}`) => ({ grouped_by: by, group, name, restrictions: [], duration: 0, sub_groups: sub });

const answer = {
  meta: { note: 'a member before groups' },
  groups: [
    // A top-level group 0 twice: merged across two members of `groups`.
    node('projects_id', 0, [node('day', '2026-09-02', [leaf(501, { duration: 600 })])], 'Kunde A: ohne Projekt'),
    node('projects_id', 12, [
      // Identical copies of one leaf collapse; contradicting ones are all rejected.
      node('day', '2026-09-03', [leaf(501), leaf(501), leaf(502), leaf(502, { duration: 60 })]),
      // A group 0 repeated below the top level.
      node('day', '2026-09-04', [node('users_id', 0, []), leaf(0, { duration: 30 })]),
      node('day', '2026/09/05', [leaf(501)]),
      node('day', '2026-09-06', [leaf(503, { name: 'Nul\u0000l' }), leaf(504, { name: 'Lone \ud800' })]),
    ]),
    node('projects_id', '0', [node('day', '2026-09-02', [leaf(501, { duration: 1200, revenue: 20.25 })])], 'Kunde B: ohne Projekt'),
  ],
  after: [1, 2],
};

async function landed(account: string) {
  const { rows } = await db.pool.query(
    `SELECT grouping, path_key, day::text, users_id, projects_id, user_name, project_name, duration_seconds, revenue::text, hourly_rate::text, path, flags, raw
     FROM punchcard.ck_entrygroups WHERE account = $1 ORDER BY path_key`,
    [account],
  );
  const { rows: rejects } = await db.pool.query(`SELECT employee_number, work_date::text, reason, raw FROM punchcard.rejects WHERE account = $1 ORDER BY reason, raw::text`, [account]);
  const { rows: raw } = await db.pool.query(`SELECT body::text AS body FROM punchcard.raw_answers WHERE account = $1`, [account]);
  const { rows: ledger } = await db.pool.query(`SELECT rows_received, rows_inserted, rows_rejected FROM punchcard.sync_windows WHERE account = $1`, [account]);
  return { rows, rejects, raw: raw.map((r) => r.body), ledger };
}

describe('a spooled clockodo answer', () => {
  it('lands exactly what the in-memory path lands', async () => {
    const runId = await startRun(db.pool, { kind: 'backfill', sources: ['clockodo'], streams: ['entrygroups'], from: window.start, to: window.end, windowDays: 31 });
    const identity = (account: string) => ({ runId, source: 'clockodo', account, stream: 'entrygroups', window, startedAt: new Date() });

    const context = (account: string) => ({ account, grouping, roundToMinutes: 0, window });
    await loadWindow(db.pool, identity('memory'), finalizeBatch(transformEntrygroups(structuredClone(answer), context('memory'))));

    const sink = await openSpool({ listKey: 'groups', keepRawAnswer: true }, oneTableTransformer(ckEntrygroups, createEntrygroupsTransformer(context('spooled'))));
    // As the client hands them on: the answer object keeps its other members, `groups` empties.
    const { groups, after, ...before } = structuredClone(answer);
    const root: Record<string, unknown> = { ...before, groups: [] };
    groups.forEach((group, index) => sink.group(group, index, root));
    root.after = after;
    const spooled = await sink.finish(root, 'sha');
    try {
      await loadSpooledWindow(db.pool, identity('spooled'), spooled);
    } finally {
      await spooled.dispose();
    }

    const memory = await landed('memory');
    const streamed = await landed('spooled');
    expect(memory.rows).toHaveLength(3);
    expect(memory.rows.some((r) => r.flags.includes('merged_duplicate_groups'))).toBe(true);
    expect(memory.rows.some((r) => r.flags.includes('duplicate_in_answer'))).toBe(true);
    expect(memory.rejects.map((r) => r.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^2 records in one answer share the key/), expect.stringMatching(/NUL character/), expect.stringMatching(/unpaired UTF-16/), expect.stringMatching(/day group/)]),
    );
    expect(streamed.rows).toEqual(memory.rows);
    expect(streamed.rejects).toEqual(memory.rejects);
    expect(streamed.raw).toEqual(memory.raw);
    expect(streamed.ledger).toEqual(memory.ledger);
  });

  it('keeps each member of the raw answer as the source wrote it, unless it cannot be stored so', async () => {
    const runId = await startRun(db.pool, { kind: 'backfill', sources: ['clockodo'], streams: ['entrygroups'], from: window.start, to: window.end, windowDays: 31 });
    const member = (user: number, name: string) =>
      `{ "grouped_by": "projects_id", "group": 12, "name": "${name}", "restrictions": [], "duration": 3600, "revenue": 60.50,\n  "sub_groups": [{"grouped_by":"day","group":"2026-09-0${user}","name":"d","restrictions":[],"duration":3600,"sub_groups":[{"grouped_by":"users_id","group":${user},"name":"U","restrictions":{},"duration":3600}]}] }`;
    const written = [member(1, 'Caf\\u00e9 \\"Nord\\"'), member(2, 'Nul\\u0000l'), member(3, 'plain')];
    // Member 3 holds a byte that is not UTF-8 (0xff where its name's "a" was): JSON.parse reads it as U+FFFD.
    const [third, cut] = [written[2]!, written[2]!.indexOf('plain') + 2];
    const body = Buffer.concat([
      Buffer.from(`{"meta": {"x": 1.0}, "groups": [${written[0]}, ${written[1]}, ${third.slice(0, cut)}`),
      Buffer.from([0xff]),
      Buffer.from(`${third.slice(cut + 1)}], "after": true}`),
    ]);
    const sink = await openSpool({ listKey: 'groups', keepRawAnswer: true }, oneTableTransformer(ckEntrygroups, createEntrygroupsTransformer({ account: 'verbatim', grouping, roundToMinutes: 0, window })));
    async function* pieces() {
      for (let at = 0; at < body.length; at += 7) yield body.subarray(at, at + 7);
    }
    const { root } = await splitAnswer(pieces(), sink, { listKey: 'groups', source: 'clockodo', operation: 'entrygroups', secrets: [] });
    const spooled = await sink.finish(root as Record<string, unknown>, 'sha');
    try {
      await loadSpooledWindow(db.pool, { runId, source: 'clockodo', account: 'verbatim', stream: 'entrygroups', window, startedAt: new Date() }, spooled);
    } finally {
      await spooled.dispose();
    }
    const { rows } = await db.pool.query<{ body: string; members: string[] }>(
      `SELECT body::text AS body, ARRAY(SELECT json_array_elements(body -> 'groups') ->> 'name') AS members FROM punchcard.raw_answers WHERE account = 'verbatim'`,
    );
    // The first member byte for byte (its spacing, 60.50, its escapes); the second re-written with
    // U+0000 as visible text; the third re-written from what was read, with U+FFFD.
    expect(rows[0]!.body).toContain(written[0]);
    expect(rows[0]!.body).not.toContain(written[1]);
    expect(rows[0]!.members).toEqual(['Caf\u00e9 "Nord"', 'Nul\\u0000l', 'pl\uFFFDin']);
    expect(JSON.parse(rows[0]!.body).after).toBe(true);
  });
});
