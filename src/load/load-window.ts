/**
 * Loads one (stream, window) batch in one transaction: every table merged, the window's rejects
 * replaced, the raw answer kept when the stream asks for it, and the ledger row written — all or
 * nothing, so the ledger's "succeeded" means exactly "committed".
 */
import { scrubSecrets } from '../errors.ts';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction } from '../db/client.ts';
import type { DateWindow, StreamBatch } from '../pipeline/stream.ts';
import { copyRows, mergeTable } from './merge.ts';
import { columns } from './table-spec.ts';
import { escapeCopyText, findUnstorableText, jsonPieces, storableJson } from './copy-format.ts';

export interface WindowIdentity {
  runId: number;
  source: string;
  account: string;
  stream: string;
  window: DateWindow;
  startedAt: Date;
}

export interface WindowCounts {
  received: number;
  inserted: number;
  updated: number;
  deleted: number;
  rejected: number;
}

const rejectColumns = columns({
  source: 'text',
  account: 'text',
  stream: 'text',
  window_start: 'date',
  window_end: 'date',
  employee_number: 'text',
  work_date: 'date',
  reason: 'text',
  raw: 'jsonb',
  run_id: 'bigint',
});

/** Extra statements that must commit with a window's ledger row (the queue counts its run down). */
export interface LedgerHooks {
  beforeCommit?: (client: PoolClient) => Promise<void>;
}

export async function loadWindow(pool: Pool, identity: WindowIdentity, batch: StreamBatch, hooks: LedgerHooks = {}): Promise<WindowCounts> {
  return inTransaction(pool, async (client) => {
    // Loads of one stream are serialised across processes; different streams load in parallel.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`punchcard:load:${identity.source}:${identity.account}:${identity.stream}`]);
    const counts: WindowCounts = { received: batch.received, inserted: 0, updated: 0, deleted: 0, rejected: batch.rejects.length };
    const scope = { account: identity.account, start: identity.window.start, end: identity.window.end };
    for (const table of batch.tables) {
      const result = await mergeTable(client, table.spec, table.rows, scope);
      counts.inserted += result.inserted;
      counts.updated += result.updated;
      counts.deleted += result.deleted;
    }
    await replaceRejects(client, identity, batch);
    if (batch.rawAnswer !== undefined) await keepRawAnswer(client, identity, batch.rawAnswer);
    await client.query(
      `INSERT INTO punchcard.sync_windows
         (run_id, source, account, stream, window_start, window_end, status, started_at,
          rows_received, rows_inserted, rows_updated, rows_deleted, rows_rejected)
       VALUES ($1, $2, $3, $4, $5, $6, 'succeeded', $7, $8, $9, $10, $11, $12)`,
      [
        identity.runId,
        identity.source,
        identity.account,
        identity.stream,
        identity.window.start,
        identity.window.end,
        identity.startedAt,
        counts.received,
        counts.inserted,
        counts.updated,
        counts.deleted,
        counts.rejected,
      ],
    );
    await hooks.beforeCommit?.(client);
    return counts;
  });
}

async function replaceRejects(client: PoolClient, identity: WindowIdentity, batch: StreamBatch): Promise<void> {
  await client.query(
    `DELETE FROM punchcard.rejects
     WHERE source = $1 AND account = $2 AND stream = $3 AND window_start = $4 AND window_end = $5`,
    [identity.source, identity.account, identity.stream, identity.window.start, identity.window.end],
  );
  if (batch.rejects.length === 0) return;
  const rows = batch.rejects.map((r) => ({
    source: identity.source,
    account: identity.account,
    stream: identity.stream,
    window_start: identity.window.start,
    window_end: identity.window.end,
    employee_number: r.employee_number ?? null,
    work_date: r.work_date ?? null,
    reason: r.reason,
    raw: storableJson(r.raw),
    run_id: identity.runId,
  }));
  await copyRows(client, 'punchcard.rejects', { columns: rejectColumns }, rows);
}

/**
 * Keeps the window's raw answer (a clockodo month is 40-66 MB of JSON for 1,000 users). It is
 * streamed through COPY in pieces rather than sent as one bind parameter, which the driver would
 * hold as a string, a Buffer and a growing message buffer at once. The column is json, not jsonb
 * (migration 0800). A body equal to the stored one keeps its stored (TOAST) value, so an unchanged
 * re-sync rewrites no body.
 */
async function keepRawAnswer(client: PoolClient, identity: WindowIdentity, answer: unknown): Promise<void> {
  // A value copied between tables keeps its compression, so the stage takes the target's (lz4 where
  // the server has it) along with its columns and defaults (fetched_at = now()).
  await client.query('CREATE TEMP TABLE pc_raw_answer (LIKE punchcard.raw_answers INCLUDING DEFAULTS INCLUDING COMPRESSION) ON COMMIT DROP');
  // json input accepts the escapes \u0000 and lone \ud800, but ->, ->> and ::jsonb then fail for
  // any query that reads the row: such an answer is kept with them as visible text.
  const storable = findUnstorableText(answer) === undefined ? (answer ?? null) : storableJson(answer);
  const { source, account, stream, window } = identity;
  const pieces = function* (): Generator<string> {
    yield `${[source, account, stream, window.start, window.end].map(escapeCopyText).join('\t')}\t`;
    for (const piece of jsonPieces(storable)) yield escapeCopyText(piece);
    yield '\n';
  };
  await pipeline(Readable.from(pieces()), client.query(copyFrom('COPY pc_raw_answer (source, account, stream, window_start, window_end, body) FROM STDIN')));
  await client.query(
    `INSERT INTO punchcard.raw_answers SELECT * FROM pc_raw_answer
     ON CONFLICT (source, account, stream, window_start, window_end) DO UPDATE
     SET fetched_at = EXCLUDED.fetched_at,
         body = CASE WHEN punchcard.raw_answers.body::text = EXCLUDED.body::text THEN punchcard.raw_answers.body ELSE EXCLUDED.body END`,
  );
  await client.query('DROP TABLE pc_raw_answer');
}

/** Records a window that failed, outside any data transaction. */
export async function recordFailedWindow(pool: Pool, identity: WindowIdentity, message: string, hooks: LedgerHooks = {}): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO punchcard.sync_windows (run_id, source, account, stream, window_start, window_end, status, started_at, error)
       VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7, $8)`,
      [identity.runId, identity.source, identity.account, identity.stream, identity.window.start, identity.window.end, identity.startedAt, scrubSecrets(message)],
    );
    await hooks.beforeCommit?.(client);
  });
}
