/**
 * Loads one (stream, window) batch in one transaction: every table merged, the window's rejects
 * replaced, the raw answer kept when the stream asks for it, and the ledger row written — all or
 * nothing, so the ledger's "succeeded" means exactly "committed".
 */
import { scrubSecrets } from '../errors.ts';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction } from '../db/client.ts';
import type { DateWindow, RejectRow, StreamBatch } from '../pipeline/stream.ts';
import { readSpool, SPOOLED_REJECT_COLUMNS, type SpooledBatch } from '../pipeline/spool.ts';
import { copyIntoEmptyScope, copyRows, copySink, createStage, mergeStage, mergeTable, settleDuplicateKeys, type TableCounts } from './merge.ts';
import { columns, type TableSpec } from './table-spec.ts';
import { binaryCopyHeader, binaryCopyTrailer, binaryDate, binaryFieldLength, binaryText, binaryTupleStart, findUnstorableText, storableJson } from './copy-format.ts';

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

/** How a load ends: its ledger hooks, and the answer's fingerprint kept in the ledger row (see recordUnchangedWindow). */
export interface LoadOptions extends LedgerHooks {
  answerSha256?: string;
}

/**
 * Loads a batch held in memory (given as a function, it is made only when the answer must be
 * loaded). With `answerSha256`, an answer unchanged since the window's last commit is only
 * recorded (see recordUnchangedWindow), checked in the same transaction as the load.
 */
export async function loadWindow(pool: Pool, identity: WindowIdentity, batchOrMake: StreamBatch | (() => StreamBatch), options: LoadOptions = {}): Promise<WindowCounts> {
  return inTransaction(pool, async (client) => {
    await lockStream(client, identity);
    const unchanged = await recordUnchangedWindow(client, identity, options);
    if (unchanged) return unchanged;
    const batch = typeof batchOrMake === 'function' ? batchOrMake() : batchOrMake;
    const counts: WindowCounts = { received: batch.received, inserted: 0, updated: 0, deleted: 0, rejected: batch.rejects.length };
    for (const table of batch.tables) {
      const result = await mergeTable(client, table.spec, table.rows, scopeOf(identity));
      counts.inserted += result.inserted;
      counts.updated += result.updated;
      counts.deleted += result.deleted;
    }
    await replaceRejects(client, identity, batch.rejects);
    if (batch.rawAnswer !== undefined) await keepRawAnswer(client, identity, rawAnswerText(batch.rawAnswer));
    await recordSucceededWindow(client, identity, counts, options);
    return counts;
  });
}

/**
 * Loads a spooled answer (see pipeline/spool.ts): each table's rows stream from its spool file
 * straight into a window's empty scope (copyIntoEmptyScope), or else into a stage where
 * finalizeBatch's key checks run (a dimension's few rows, checked and merged already, load from
 * memory), and the raw answer streams from its file; nothing of the answer is held in memory.
 * `answerSha256` as for loadWindow.
 */
export async function loadSpooledWindow(pool: Pool, identity: WindowIdentity, spooled: SpooledBatch, options: LoadOptions = {}): Promise<WindowCounts> {
  return inTransaction(pool, async (client) => {
    await lockStream(client, identity);
    const unchanged = await recordUnchangedWindow(client, identity, options);
    if (unchanged) return unchanged;
    // First: the key checks below file their rejects beside these.
    await clearRejects(client, identity);
    if (spooled.rejected > 0) await copySpooledRejects(client, identity, spooled.rejectsFile);
    const { source, account, stream, window, runId } = identity;
    const counts: WindowCounts = { received: spooled.received, inserted: 0, updated: 0, deleted: 0, rejected: spooled.rejected };
    for (const table of spooled.tables) {
      const { spec } = table;
      let result: TableCounts;
      if ('held' in table) {
        result = await mergeTable(client, spec, table.held, scopeOf(identity));
      } else {
        const { file, rows } = table;
        const direct = rows > 0 ? await copyIntoEmptyScope(client, spec, scopeOf(identity), (sink) => pipeline(readSpool(file), sink)) : undefined;
        if (direct) {
          result = direct;
        } else {
          const stage = await stageSpoolFile(client, spec, rows > 0 ? file : undefined);
          if (rows > 0) counts.rejected += await settleDuplicateKeys(client, spec, stage, { source, account, stream, start: window.start, end: window.end, runId });
          result = await mergeStage(client, spec, stage, rows > 0, scopeOf(identity));
        }
      }
      counts.inserted += result.inserted;
      counts.updated += result.updated;
      counts.deleted += result.deleted;
    }
    if (spooled.rawFile !== undefined) await keepRawAnswer(client, identity, { bytes: (await stat(spooled.rawFile)).size, pieces: readSpool(spooled.rawFile) });
    await recordSucceededWindow(client, identity, counts, options);
    return counts;
  });
}

/**
 * Records an answer recognised by its fingerprint before it was parsed: in one transaction, under
 * the stream's lock, if it is still the one the window last committed (recordUnchangedWindow).
 * Resolves undefined, having written nothing, when the answer must be loaded after all.
 */
export async function recordIfUnchanged(pool: Pool, identity: WindowIdentity, options: LoadOptions & { answerSha256: string }): Promise<WindowCounts | undefined> {
  return inTransaction(pool, async (client) => {
    await lockStream(client, identity);
    return recordUnchangedWindow(client, identity, options);
  });
}

/**
 * An answer equal to the one the window last committed changes nothing: the ledger row is written
 * (with that load's received and rejected counts) and nothing is staged or merged. Only when the
 * last committed window of the stream overlapping these days is this very window: had another
 * window (other bounds, --window-days) loaded some of them since, this answer must be loaded again.
 * Resolves undefined, writing nothing, when the window must be loaded (or has no fingerprint).
 * Runs in the load's transaction, after lockStream.
 */
async function recordUnchangedWindow(client: PoolClient, identity: WindowIdentity, options: LoadOptions): Promise<WindowCounts | undefined> {
  const { answerSha256 } = options;
  if (answerSha256 === undefined) return undefined;
  const last = await lastCommittedAnswer(client, identity);
  if (last?.answerSha256 !== answerSha256) return undefined;
  const where = `source = $1 AND account = $2 AND stream = $3 AND window_start = $4 AND window_end = $5`;
  const params = [identity.source, identity.account, identity.stream, identity.window.start, identity.window.end];
  // The window's rejects are still what the source sends; they now belong to this run.
  await client.query(`UPDATE punchcard.rejects SET run_id = $6 WHERE ${where} AND run_id IS DISTINCT FROM $6`, [...params, identity.runId]);
  await client.query(`UPDATE punchcard.raw_answers SET fetched_at = now() WHERE ${where}`, params);
  const counts: WindowCounts = { received: last.received, inserted: 0, updated: 0, deleted: 0, rejected: last.rejected };
  await recordSucceededWindow(client, identity, counts, options);
  return counts;
}

/** The answer fingerprint of the stream's latest committed window over any of these days, if it is this window. */
export async function lastCommittedAnswer(
  client: Pick<PoolClient, 'query'>,
  identity: Pick<WindowIdentity, 'source' | 'account' | 'stream' | 'window'>,
): Promise<{ answerSha256: string; received: number; rejected: number } | undefined> {
  // Loads of one stream are serialised (lockStream) and the ledger row is their last statement, so
  // the highest id is the last commit.
  const { rows } = await client.query<{ answer_sha256: string | null; received: number; rejected: number; same: boolean }>(
    `SELECT answer_sha256, rows_received AS received, rows_rejected AS rejected, (window_start = $4 AND window_end = $5) AS same
     FROM punchcard.sync_windows
     WHERE source = $1 AND account = $2 AND stream = $3 AND status = 'succeeded' AND window_start <= $5 AND window_end >= $4
     ORDER BY id DESC LIMIT 1`,
    [identity.source, identity.account, identity.stream, identity.window.start, identity.window.end],
  );
  const row = rows[0];
  if (!row?.same || row.answer_sha256 === null) return undefined;
  return { answerSha256: row.answer_sha256, received: row.received, rejected: row.rejected };
}

function scopeOf(identity: WindowIdentity) {
  return { account: identity.account, start: identity.window.start, end: identity.window.end };
}

/** Loads of one stream are serialised across processes; different streams load in parallel. */
async function lockStream(client: PoolClient, identity: WindowIdentity): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`punchcard:load:${identity.source}:${identity.account}:${identity.stream}`]);
}

// finished_at is clock_timestamp(), not the column's default now(): now() is when the load's
// transaction began, which left the load itself (COPY and merge, seconds for a clockodo month) out
// of every window's duration in the status view.
async function recordSucceededWindow(client: PoolClient, identity: WindowIdentity, counts: WindowCounts, options: LoadOptions): Promise<void> {
  await client.query(
    `INSERT INTO punchcard.sync_windows
       (run_id, source, account, stream, window_start, window_end, status, started_at,
        rows_received, rows_inserted, rows_updated, rows_deleted, rows_rejected, answer_sha256, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'succeeded', $7, $8, $9, $10, $11, $12, $13, clock_timestamp())`,
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
      options.answerSha256 ?? null,
    ],
  );
  await options.beforeCommit?.(client);
}

async function clearRejects(client: PoolClient, identity: WindowIdentity): Promise<void> {
  await client.query(
    `DELETE FROM punchcard.rejects
     WHERE source = $1 AND account = $2 AND stream = $3 AND window_start = $4 AND window_end = $5`,
    [identity.source, identity.account, identity.stream, identity.window.start, identity.window.end],
  );
}

async function replaceRejects(client: PoolClient, identity: WindowIdentity, rejects: RejectRow[]): Promise<void> {
  await clearRejects(client, identity);
  if (rejects.length === 0) return;
  const rows = rejects.map((r) => ({
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

/** A stage for a spool file's COPY text, filled from `file` when given; `_ord` numbers its rows in the file's order. */
async function stageSpoolFile(client: PoolClient, shape: Pick<TableSpec, 'columns'>, file: string | undefined): Promise<string> {
  const stage = await createStage(client, shape, ['_ord bigint GENERATED ALWAYS AS IDENTITY']);
  if (file !== undefined) await pipeline(readSpool(file), copySink(client, stage, shape));
  return stage;
}

/** A spool's rejects (see SPOOLED_REJECT_COLUMNS), filed under the window in the order they came. */
async function copySpooledRejects(client: PoolClient, identity: WindowIdentity, file: string): Promise<void> {
  const stage = await stageSpoolFile(client, { columns: SPOOLED_REJECT_COLUMNS }, file);
  await client.query(
    `INSERT INTO punchcard.rejects (source, account, stream, window_start, window_end, employee_number, work_date, reason, raw, run_id)
     SELECT $1, $2, $3, $4, $5, employee_number, work_date, reason, raw, $6 FROM ${stage} ORDER BY _ord`,
    [identity.source, identity.account, identity.stream, identity.window.start, identity.window.end, identity.runId],
  );
}

/** A raw answer's JSON text: its UTF-8 length, then its bytes in pieces. */
interface RawAnswerText {
  bytes: number;
  pieces: AsyncIterable<Buffer> | Iterable<Buffer>;
}

function rawAnswerText(answer: unknown): RawAnswerText {
  // json input accepts the escapes \u0000 and lone \ud800, but ->, ->> and ::jsonb then fail for
  // any query that reads the row: such an answer is kept with them as visible text.
  const storable = findUnstorableText(answer) === undefined ? (answer ?? null) : storableJson(answer);
  const text = Buffer.from(JSON.stringify(storable));
  return { bytes: text.length, pieces: [text] };
}

/**
 * Keeps the window's raw answer (a clockodo month is ~100 MB of JSON for 1,000 users). The column
 * is json, not jsonb (migration 0800). A body equal to the stored one keeps its stored (TOAST)
 * value, so an unchanged re-sync rewrites no body. Sent with binary COPY, where a text value is its
 * bytes: COPY text would need the body escaped (a pass over every byte, here and in the server's
 * reading of it): a month's COPY took 1.3 s of the server against 1.7-2.2 s as text.
 */
async function keepRawAnswer(client: PoolClient, identity: WindowIdentity, body: RawAnswerText): Promise<void> {
  // A value copied between tables keeps its compression, so the stage takes the target's (lz4 where
  // the server has it) along with its columns and defaults (fetched_at = now()).
  await client.query('CREATE TEMP TABLE pc_raw_answer (LIKE punchcard.raw_answers INCLUDING DEFAULTS INCLUDING COMPRESSION) ON COMMIT DROP');
  const { source, account, stream, window } = identity;
  const pieces = async function* (): AsyncGenerator<Buffer> {
    yield binaryCopyHeader();
    yield binaryTupleStart(6);
    for (const text of [source, account, stream]) yield binaryText(text);
    for (const date of [window.start, window.end]) yield binaryDate(date);
    yield binaryFieldLength(body.bytes);
    yield* body.pieces;
    yield binaryCopyTrailer();
  };
  await pipeline(Readable.from(pieces()), client.query(copyFrom('COPY pc_raw_answer (source, account, stream, window_start, window_end, body) FROM STDIN (FORMAT binary)')));
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
      `INSERT INTO punchcard.sync_windows (run_id, source, account, stream, window_start, window_end, status, started_at, error, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7, $8, clock_timestamp())`,
      [identity.runId, identity.source, identity.account, identity.stream, identity.window.start, identity.window.end, identity.startedAt, scrubSecrets(message)],
    );
    await hooks.beforeCommit?.(client);
  });
}
