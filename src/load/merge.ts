/**
 * The bulk path for every table: COPY the window's rows into a temporary staging table, a read-only
 * probe of which rows are new or changed, a set-based upsert of only those, then one statement that
 * marks the window's rows the source no longer returns as deleted. Runs on the caller's transaction.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
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

/** How many staged rows mergeStage looks at before it decides how to find the rows to write. */
const PROBE_SAMPLE = 1000;

/** Streams rows into `table` (columns as declared) with COPY, in chunks of about 64 KiB. */
export async function copyRows(
  client: PoolClient,
  table: string,
  spec: Pick<TableSpec, 'columns'>,
  rows: Iterable<Record<string, unknown>>,
): Promise<void> {
  const columnList = spec.columns.map((c) => ident(c.name)).join(', ');
  const sink = client.query(copyFrom(`COPY ${table} (${columnList}) FROM STDIN`));
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
  await pipeline(Readable.from(chunks()), sink);
}

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
  const stage = await createStage(client, spec);
  if (rows.length > 0) await copyRows(client, stage, spec, rows);
  return mergeStage(client, spec, stage, rows.length > 0, window);
}

/** A temporary staging table shaped like the spec's columns, plus `extra` column definitions. */
export async function createStage(client: PoolClient, spec: TableSpec, extra: string[] = []): Promise<string> {
  const stage = `pc_stage_${++stageCounter}`;
  const columnDefs = [...spec.columns.map((c) => `${ident(c.name)} ${c.type}`), ...extra].join(', ');
  await client.query(`CREATE TEMP TABLE ${stage} (${columnDefs}) ON COMMIT DROP`);
  return stage;
}

/**
 * The merge of a filled stage into the spec's table; its keys must be unique (see mergeTable).
 *
 * A read-only probe first joins the stage to the target and counts the staged rows and those that
 * are new or really differ; the upsert (INSERT … ON CONFLICT DO UPDATE … WHERE IS DISTINCT FROM)
 * then runs only when something must be written, and only over those rows. Fed
 * every staged row, the upsert locks each conflicting row even when its WHERE skips the update:
 * writing xmax dirties the page and logs WAL for every unchanged row (an unchanged 200,000-row
 * window spent 2.3–3.6 s there against 0.7–1.2 s for the probe). Writing the changed rows with an
 * UPDATE … FROM instead measured slower than the upsert (12.6–13.5 s against 9.8 s for 200,000),
 * see bench/loader-compare.ts.
 */
export async function mergeStage(client: PoolClient, spec: TableSpec, stage: string, hasRows: boolean, window: WindowScope): Promise<TableCounts> {
  const target = qualified(spec.table);
  const names = spec.columns.map((c) => ident(c.name));
  const keys = spec.key.map(ident);
  const valueColumns = spec.columns.filter((c) => !spec.key.includes(c.name)).map((c) => ident(c.name));
  const softDelete = spec.scope !== undefined;
  const scope = spec.scope?.(window);
  const keyMatch = keys.map((k) => `s.${k} = t.${k}`).join(' AND ');
  // Dimensions (no scope) are fed by several streams that each know some columns: a value is
  // never erased by a stream that sends NULL for it.
  const incomingValue = (from: string, c: string) => (softDelete ? `${from}.${c}` : `COALESCE(${from}.${c}, t.${c})`);
  const sets = (from: string) => {
    const list = valueColumns.map((c) => `${c} = ${incomingValue(from, c)}`);
    list.push('updated_at = now()');
    if (softDelete) list.push('deleted_at = NULL');
    return list.join(', ');
  };
  // The incoming row (`from`) against the stored one (`t`), soft deletion included: a deleted row
  // sent again differs, and its update restores it. ROW(...) keeps the comparison valid when there
  // is a single value column.
  const differs = (from: string) => {
    const current = valueColumns.map((c) => `t.${c}`);
    const incoming = valueColumns.map((c) => incomingValue(from, c));
    if (softDelete) {
      current.push('t.deleted_at IS NOT NULL');
      incoming.push('false');
    }
    return current.length > 0 ? `ROW(${current.join(', ')}) IS DISTINCT FROM ROW(${incoming.join(', ')})` : 'false';
  };

  let inserted = 0;
  let updated = 0;
  // Staged rows in the window's scope (the scope's SQL reads alias `t`).
  let sent = 0;
  if (hasRows) {
    const inScope = scope ? `(${scope.sql})` : 'false';
    // Of the staged rows (the first `limit` of them if given): how many, how many are new or
    // differ from the stored row, how many lie in the window's scope.
    const probe = async (limit?: number) => {
      const { rows } = await client.query<{ staged: number; toWrite: number; sent: number }>(
        `SELECT count(*)::int AS staged,
                count(*) FILTER (WHERE t.${keys[0]} IS NULL OR ${differs('s')})::int AS "toWrite",
                count(*) FILTER (WHERE s.pc_in_scope)::int AS sent
         FROM (SELECT t.*, ${inScope} AS pc_in_scope FROM ${stage} AS t${limit === undefined ? '' : ` LIMIT ${limit}`}) AS s
         LEFT JOIN ${target} AS t ON ${keyMatch}`,
        scope?.params ?? [],
      );
      return rows[0]!;
    };
    // The first rows first (index look-ups, milliseconds): when every one of them must be written,
    // the window is taken for new or edited and the whole stage goes to the upsert, sparing the
    // full probe (10–15% of an edited 200,000-row load). Otherwise the full probe decides.
    const sample = await probe(PROBE_SAMPLE);
    const exact = sample.staged < PROBE_SAMPLE ? sample : sample.toWrite < sample.staged ? await probe() : undefined;
    if (exact) {
      sent = exact.sent;
    } else if (scope) {
      const { rows } = await client.query<{ sent: number }>(`SELECT count(*)::int AS sent FROM ${stage} AS t WHERE ${scope.sql}`, scope.params);
      sent = rows[0]!.sent;
    }
    if (!exact || exact.toWrite > 0) {
      // Every staged row to be written (or so it looked): the stage as it is. Otherwise only the
      // rows the probe found new or different, so that no unchanged row is locked. The upsert's
      // own WHERE stays: it decides for keys another transaction committed since the probe (a
      // dimension shared by streams) and for rows the sample did not look at, and PostgreSQL
      // still refuses one key staged twice with different values ("cannot affect row a second time").
      const source =
        !exact || exact.toWrite === exact.staged
          ? `SELECT ${names.join(', ')} FROM ${stage}`
          : `SELECT ${names.map((n) => `s.${n}`).join(', ')} FROM ${stage} AS s LEFT JOIN ${target} AS t ON ${keyMatch}
             WHERE t.${keys[0]} IS NULL OR ${differs('s')}`;
      const written = await client.query<{ inserted: number; updated: number }>(
        `WITH written AS (
           INSERT INTO ${target} AS t (${names.join(', ')})
           ${source}
           ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${sets('EXCLUDED')}
           WHERE ${differs('EXCLUDED')}
           RETURNING (xmax = 0) AS is_insert
         )
         SELECT count(*) FILTER (WHERE is_insert)::int AS inserted,
                count(*) FILTER (WHERE NOT is_insert)::int AS updated
         FROM written`,
      );
      inserted = written.rows[0]!.inserted;
      updated = written.rows[0]!.updated;
    }
  }

  let deleted = 0;
  if (scope) {
    // After the writes every staged key is a live row of the target. So when the target holds as
    // many live rows in the window's scope as the stage holds rows for it, the two sets are equal
    // and nothing vanished: the common case (an unchanged or edited window) skips the anti-join.
    // This rests on unique keys in `rows` (see mergeTable); counting distinct keys instead cost
    // 100 ms per 200,000 rows, 5% of an unchanged load.
    const { rows: sizes } = await client.query<{ live: number }>(
      `SELECT count(*)::int AS live FROM ${target} AS t WHERE (${scope.sql}) AND t.deleted_at IS NULL`,
      scope.params,
    );
    if (sizes[0]!.live === sent) return { inserted, updated, deleted };

    await client.query(`CREATE INDEX ON ${stage} (${keys.join(', ')})`);
    // Autovacuum never sees temp tables, and the target's statistics may still describe it before
    // this transaction's rows: the planner can pick a nested loop over the stage, which the index
    // keeps from turning quadratic (2.3 s for 5,200 rows without it). Key columns only: sampling
    // jsonb is costly.
    await client.query(`ANALYZE ${stage} (${keys.join(', ')})`);
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
  const keyText = spec.key
    .slice(1)
    .map((k) => `'${k}=' || coalesce(s.${ident(k)}::text, 'null')`)
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
