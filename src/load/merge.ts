/**
 * The bulk path for every table: COPY the window's rows into a temporary staging table, then one
 * set-based upsert that writes only rows that really changed, then one statement that marks the
 * window's rows the source no longer returns as deleted; a window's first load COPYs straight into
 * the table (copyIntoEmptyScope). Runs on the caller's transaction.
 */
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { encodeCopyRow } from './copy-format.ts';
import { ident, qualified, type TableSpec, type WindowScope } from './table-spec.ts';

export interface TableCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

let stageCounter = 0;

/** Streams rows into `table` (columns as declared) with COPY, in chunks of about 64 KiB. */
export async function copyRows(
  client: PoolClient,
  table: string,
  spec: Pick<TableSpec, 'columns'>,
  rows: Iterable<Record<string, unknown>>,
): Promise<void> {
  await sendRows(rows, spec, copySink(client, table, spec));
}

function sendRows(rows: Iterable<Record<string, unknown>>, spec: Pick<TableSpec, 'columns'>, sink: Writable): Promise<void> {
  function* chunks(): Generator<string> {
    let buffer = '';
    for (const row of rows) {
      buffer += encodeCopyRow(row, spec.columns);
      if (buffer.length >= 65_536) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer.length > 0) yield buffer;
  }
  return pipeline(Readable.from(chunks()), sink);
}

/** `COPY table (the spec's columns) FROM STDIN`, as a stream to write COPY text to; `rowCount` once it has finished. */
export function copySink(client: PoolClient, table: string, spec: Pick<TableSpec, 'columns'>): Writable & { rowCount: number } {
  const columnList = spec.columns.map((c) => ident(c.name)).join(', ');
  return client.query(copyFrom(`COPY ${table} (${columnList}) FROM STDIN`));
}

/**
 * A window's first load, straight into the table: when the table holds no row at all in the
 * window's scope, the staged upsert could only insert, so one COPY into the table does its work
 * (the stage's COPY, its key checks and INSERT … ON CONFLICT cost PostgreSQL about twice as much).
 * `send` writes the rows as COPY text of the spec's columns. A key the COPY cannot insert — one
 * repeated in the answer, or held by a row outside the scope — rolls back to a savepoint and
 * resolves undefined: the caller then takes the staged path, which settles repeated keys and
 * updates such rows. Any other error fails the load. Runs on the caller's transaction, under the
 * stream's lock.
 */
export async function copyIntoEmptyScope(client: PoolClient, spec: TableSpec, window: WindowScope, send: (sink: Writable) => Promise<void>): Promise<TableCounts | undefined> {
  if (!spec.scope) return undefined;
  const target = qualified(spec.table);
  const scope = spec.scope(window);
  const { rows: found } = await client.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${target} AS t WHERE ${scope.sql}) AS empty`, scope.params);
  if (!found[0]!.empty) return undefined;
  await client.query('SAVEPOINT pc_first_load');
  const sink = copySink(client, target, spec);
  try {
    await send(sink);
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await client.query('ROLLBACK TO SAVEPOINT pc_first_load; RELEASE SAVEPOINT pc_first_load');
    return undefined;
  }
  await client.query('RELEASE SAVEPOINT pc_first_load');
  return { inserted: sink.rowCount, updated: 0, deleted: 0 };
}

const UNIQUE_VIOLATION = '23505';

/**
 * Loads `rows` into `spec.table` on the caller's transaction. The rows' keys must be unique (the
 * runner's finalizeBatch makes them so: identical copies collapse, differing ones are rejected);
 * PostgreSQL refuses most duplicates itself, but not a repeated unchanged row.
 */
export async function mergeTable(
  client: PoolClient,
  spec: TableSpec,
  rows: ReadonlyArray<Record<string, unknown>>,
  window: WindowScope,
): Promise<TableCounts> {
  const direct = rows.length > 0 ? await copyIntoEmptyScope(client, spec, window, (sink) => sendRows(rows, spec, sink)) : undefined;
  if (direct) return direct;
  const stage = await createStage(client, spec);
  if (rows.length > 0) await copyRows(client, stage, spec, rows);
  return mergeStage(client, spec, stage, rows.length > 0, window);
}

/** A temporary staging table shaped like the spec's columns, plus `extra` column definitions. */
export async function createStage(client: PoolClient, spec: Pick<TableSpec, 'columns'>, extra: string[] = []): Promise<string> {
  const stage = `pc_stage_${++stageCounter}`;
  const columnDefs = [...spec.columns.map((c) => `${ident(c.name)} ${c.type}`), ...extra].join(', ');
  await client.query(`CREATE TEMP TABLE ${stage} (${columnDefs}) ON COMMIT DROP`);
  return stage;
}

/** The merge of a filled stage into the spec's table; its keys must be unique (see mergeTable). */
export async function mergeStage(client: PoolClient, spec: TableSpec, stage: string, hasRows: boolean, window: WindowScope): Promise<TableCounts> {

  const target = qualified(spec.table);
  const names = spec.columns.map((c) => ident(c.name));
  const valueColumns = spec.columns.filter((c) => !spec.key.includes(c.name)).map((c) => ident(c.name));
  const softDelete = spec.scope !== undefined;
  // Dimensions (no scope) are fed by several streams that each know some columns: a value is
  // never erased by a stream that sends NULL for it, unless that stream alone sends the column.
  const nullClears = new Set((spec.nullClears ?? []).map(ident));
  const incomingValue = (c: string) => (softDelete || nullClears.has(c) ? `EXCLUDED.${c}` : `COALESCE(EXCLUDED.${c}, t.${c})`);
  const sets = valueColumns.map((c) => `${c} = ${incomingValue(c)}`);
  sets.push('updated_at = now()');
  if (softDelete) sets.push('deleted_at = NULL');
  const current = valueColumns.map((c) => `t.${c}`);
  const incoming = valueColumns.map(incomingValue);
  if (softDelete) {
    current.push('t.deleted_at IS NOT NULL');
    incoming.push('false');
  }
  // ROW(...) keeps the comparison valid when there is a single value column.
  const changed = current.length > 0 ? `WHERE ROW(${current.join(', ')}) IS DISTINCT FROM ROW(${incoming.join(', ')})` : 'WHERE false';

  let inserted = 0;
  let updated = 0;
  if (hasRows) {
    const upsert = await client.query<{ inserted: number; updated: number }>(
      `WITH written AS (
         INSERT INTO ${target} AS t (${names.join(', ')})
         SELECT ${names.join(', ')} FROM ${stage}
         ON CONFLICT (${spec.key.map(ident).join(', ')}) DO UPDATE SET ${sets.join(', ')}
         ${changed}
         RETURNING (xmax = 0) AS is_insert
       )
       SELECT count(*) FILTER (WHERE is_insert)::int AS inserted,
              count(*) FILTER (WHERE NOT is_insert)::int AS updated
       FROM written`,
    );
    inserted = upsert.rows[0]!.inserted;
    updated = upsert.rows[0]!.updated;
  }

  let deleted = 0;
  if (spec.scope) {
    const scope = spec.scope(window);
    // After the upsert every staged key is a live row of the target. So when the target holds as
    // many live rows in the window's scope as the stage holds rows for it, the two sets are equal
    // and nothing vanished: the common case (an unchanged or edited window) skips the anti-join.
    // This rests on unique keys in `rows` (see mergeTable); counting distinct keys instead cost
    // 100 ms per 200,000 rows, 5% of an unchanged load.
    const { rows: sizes } = await client.query<{ live: string; sent: string }>(
      `SELECT (SELECT count(*) FROM ${target} AS t WHERE (${scope.sql}) AND t.deleted_at IS NULL) AS live,
              (SELECT count(*) FROM ${stage} AS t WHERE (${scope.sql})) AS sent`,
      scope.params,
    );
    if (sizes[0]!.live === sizes[0]!.sent) return { inserted, updated, deleted };

    await client.query(`CREATE INDEX ON ${stage} (${spec.key.map(ident).join(', ')})`);
    // Autovacuum never sees temp tables, and the target's statistics may still describe it before
    // this transaction's rows: the planner can pick a nested loop over the stage, which the index
    // keeps from turning quadratic (2.3 s for 5,200 rows without it). Key columns only: sampling
    // jsonb is costly.
    await client.query(`ANALYZE ${stage} (${spec.key.map(ident).join(', ')})`);
    const keyMatch = spec.key.map((k) => `s.${ident(k)} = t.${ident(k)}`).join(' AND ');
    const marked = await client.query(
      `UPDATE ${target} AS t SET deleted_at = now(), updated_at = now()
       WHERE (${scope.sql}) AND t.deleted_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM ${stage} AS s WHERE ${keyMatch})`,
      scope.params,
    );
    deleted = marked.rowCount ?? 0;
  }
  return { inserted, updated, deleted };
}

/** Where rejects found on a stage are filed (the window's identity in punchcard.rejects). */
export interface RejectTarget {
  source: string;
  account: string;
  stream: string;
  start: string;
  end: string;
  runId: number;
}

/**
 * finalizeBatch's key checks for a scoped table, done in SQL on a stage filled straight from a
 * spool (column `_ord`: the row's place in the answer), so no batch is ever held in memory:
 * identical copies of a key collapse into the first, flagged `duplicate_in_answer`; differing
 * copies are all rejected with the same reason finalizeBatch gives. Returns the rejects filed.
 * Copies count as identical when every column is equal (jsonb compares by value, key order aside).
 */
export async function settleDuplicateKeys(client: PoolClient, spec: TableSpec, stage: string, target: RejectTarget): Promise<number> {
  const has = (name: string) => spec.columns.some((c) => c.name === name);
  if (!spec.scope || !has('flags')) throw new Error(`settleDuplicateKeys: ${spec.table} needs a scope and a flags column`);
  // Every fragment below is built from the spec (code, not input) through ident().
  const dups = `${stage}_dups`;
  const stagedKeys = spec.key.map((k) => `s.${ident(k)}`).join(', ');
  const keyMatch = spec.key.map((k) => `s.${ident(k)} = d.${ident(k)}`).join(' AND ');
  const versionMatch = spec.key.map((k) => `v.${ident(k)} = d.${ident(k)}`).join(' AND ');
  const stagedValues = spec.columns.filter((c) => !spec.key.includes(c.name)).map((c) => `s.${ident(c.name)}`).join(', ');
  // As finalizeBatch writes a key's values (String(value)): dates and local timestamps as the ISO
  // text the transforms give them, whatever the session's DateStyle.
  const typeOf = (name: string) => spec.columns.find((c) => c.name === name)?.type;
  const valueText = (k: string) =>
    typeOf(k) === 'timestamp'
      ? `to_char(s.${ident(k)}, 'YYYY-MM-DD"T"HH24:MI:SS')`
      : typeOf(k) === 'date'
        ? `to_char(s.${ident(k)}, 'YYYY-MM-DD')`
        : `s.${ident(k)}::text`;
  const keyText = spec.key
    .slice(1)
    .map((k) => `'${k}=' || coalesce(${valueText(k)}, 'null')`)
    .join(` || ', ' || `);
  const employee = has('employee_number') ? 's.employee_number' : 'NULL';
  const workDate = has('work_date') ? 's.work_date' : 'NULL';
  const raw = has('raw') ? `coalesce(s.raw, to_jsonb(s) - '_ord')` : `to_jsonb(s) - '_ord'`;
  // Keys only first (a hash aggregate); the wide comparison runs for repeated keys alone.
  const { rowCount } = await client.query(
    `CREATE TEMP TABLE ${dups} ON COMMIT DROP AS
     SELECT ${stagedKeys}, count(*)::int AS n, min(s._ord) AS first, 0 AS variants
     FROM ${stage} AS s GROUP BY ${stagedKeys} HAVING count(*) > 1`,
  );
  if (!rowCount) return 0;
  await client.query(
    `UPDATE ${dups} AS d SET variants = v.variants
     FROM (SELECT ${stagedKeys}, count(DISTINCT ROW(${stagedValues}))::int AS variants
           FROM ${stage} AS s JOIN ${dups} AS d ON ${keyMatch} GROUP BY ${stagedKeys}) AS v
     WHERE ${versionMatch}`,
  );
  const rejected = await client.query(
    `INSERT INTO punchcard.rejects (source, account, stream, window_start, window_end, employee_number, work_date, reason, raw, run_id)
     SELECT $1, $2, $3, $4, $5, ${employee}, ${workDate}, d.n || ' records in one answer share the key (' || ${keyText} || ') with different values', ${raw}, $6
     FROM ${stage} AS s JOIN ${dups} AS d ON ${keyMatch}
     WHERE d.variants > 1 ORDER BY s._ord`,
    [target.source, target.account, target.stream, target.start, target.end, target.runId],
  );
  await client.query(`DELETE FROM ${stage} AS s USING ${dups} AS d WHERE ${keyMatch} AND (d.variants > 1 OR s._ord <> d.first)`);
  await client.query(`UPDATE ${stage} AS s SET flags = coalesce(s.flags, '{}') || 'duplicate_in_answer'::text FROM ${dups} AS d WHERE ${keyMatch} AND d.variants = 1`);
  return rejected.rowCount ?? 0;
}
