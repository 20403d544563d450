/**
 * The loader before and after issue 14's probe-first merge, side by side: for each round, a raw
 * COPY and then each strategy's new / changed / unchanged loads of the same tc_sessions rows
 * (bench/loader.ts's generator), in alternating order so a busy machine skews all of them alike. Prints
 * medians, ratios to COPY, rows written (by xmin) and where each load spent its time.
 * `node bin/run-ts.mjs bench/loader-compare.ts [rows] [rounds] [before,after]`
 *
 * "before" is the single upsert merge.ts used until then (INSERT … ON CONFLICT DO UPDATE … WHERE
 * IS DISTINCT FROM, then the same vanished-rows count), kept here only as the baseline.
 */
import pg, { type PoolClient } from 'pg';
import { inTransaction } from '../src/db/client.ts';
import { copyRows, createStage, mergeTable, type TableCounts } from '../src/load/merge.ts';
import { ident, qualified, type TableSpec, type WindowScope } from '../src/load/table-spec.ts';
import { tcSessions } from '../src/load/tables.ts';
import { openBenchDatabase } from './database.ts';
import { generateSessionRows } from './loader.ts';

const SPEC = tcSessions('sessions');
const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
const strategies = (process.argv[4] ?? 'before,after').split(',');
for (const s of strategies) if (s !== 'before' && s !== 'after') throw new Error(`unknown strategy ${s}`);

/** The upsert merge (scoped tables only, which is all this bench loads). */
async function mergeBefore(client: PoolClient, spec: TableSpec, rows: ReadonlyArray<Record<string, unknown>>, window: WindowScope): Promise<TableCounts> {
  const stage = await createStage(client, spec);
  await copyRows(client, stage, spec, rows);
  const target = qualified(spec.table);
  const names = spec.columns.map((c) => ident(c.name));
  const values = spec.columns.filter((c) => !spec.key.includes(c.name)).map((c) => ident(c.name));
  const sets = [...values.map((c) => `${c} = EXCLUDED.${c}`), 'updated_at = now()', 'deleted_at = NULL'];
  const current = [...values.map((c) => `t.${c}`), 't.deleted_at IS NOT NULL'];
  const incoming = [...values.map((c) => `EXCLUDED.${c}`), 'false'];
  const { rows: written } = await client.query<{ inserted: number; updated: number }>(
    `WITH written AS (
       INSERT INTO ${target} AS t (${names.join(', ')}) SELECT ${names.join(', ')} FROM ${stage}
       ON CONFLICT (${spec.key.map(ident).join(', ')}) DO UPDATE SET ${sets.join(', ')}
       WHERE ROW(${current.join(', ')}) IS DISTINCT FROM ROW(${incoming.join(', ')})
       RETURNING (xmax = 0) AS is_insert
     )
     SELECT count(*) FILTER (WHERE is_insert)::int AS inserted, count(*) FILTER (WHERE NOT is_insert)::int AS updated FROM written`,
  );
  const scope = spec.scope!(window);
  const { rows: sizes } = await client.query<{ live: string; sent: string }>(
    `SELECT (SELECT count(*) FROM ${target} AS t WHERE (${scope.sql}) AND t.deleted_at IS NULL) AS live,
            (SELECT count(*) FROM ${stage} AS t WHERE (${scope.sql})) AS sent`,
    scope.params,
  );
  if (sizes[0]!.live !== sizes[0]!.sent) throw new Error('the bench never drops rows: the anti-join is not part of the baseline');
  return { ...written[0]!, deleted: 0 };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

/** Per-statement wall time (by the statement's first words), to see where a strategy spends it. */
const statements = new Map<string, number>();
const timedClients = new WeakSet<pg.PoolClient>();
function timeStatements(client: pg.PoolClient): void {
  if (timedClients.has(client)) return;
  timedClients.add(client);
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : 'COPY';
    const label = text.trim().split(/\s+/).slice(0, 4).join(' ');
    const t0 = performance.now();
    const result = query(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      void (result as Promise<unknown>).then(() => statements.set(label, (statements.get(label) ?? 0) + performance.now() - t0), () => undefined);
    }
    return result;
  };
}

const db = await openBenchDatabase((m) => console.log(m));
const stop = () => void Promise.allSettled([pool.end(), clone.drop()]).finally(() => db.close().finally(() => process.exit(130)));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
const clone = await db.clone('compare');
const pool = new pg.Pool({ connectionString: clone.url, max: 2 });
try {
  const original = generateSessionRows(count, 0);
  const changed = generateSessionRows(count, 1);
  const window = original.window;
  const copyMs: number[] = [];
  const ms = new Map<string, number[]>();
  const add = (k: string, v: number) => ms.set(k, [...(ms.get(k) ?? []), v]);
  const fresh = async () => {
    await pool.query('TRUNCATE punchcard.tc_sessions');
    await pool.query('CHECKPOINT').catch(() => undefined);
  };
  for (let round = 0; round < rounds; round++) {
    await fresh();
    copyMs.push(await timed(() => inTransaction(pool, (c) => copyRows(c, 'punchcard.tc_sessions', SPEC, original.rows))));
    const line = [`round ${round + 1}: copy ${Math.round(copyMs.at(-1)!)}`];
    // Every other round runs the strategies in the opposite order: a machine getting busier or
    // quieter within a round must not favour whichever runs first.
    for (const strategy of round % 2 === 0 ? strategies : [...strategies].reverse()) {
      await fresh();
      const phases: Array<[string, Array<Record<string, unknown>>]> = [['new', original.rows], ['changed', changed.rows], ['unchanged', changed.rows]];
      for (const [phase, rows] of phases) {
        let xid = '';
        let counts = {};
        const t = await timed(() =>
          inTransaction(pool, async (c) => {
            timeStatements(c);
            statements.clear();
            counts = await (strategy === 'before' ? mergeBefore : mergeTable)(c, SPEC, rows, window);
            xid = (await c.query<{ x: string }>(`SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text AS x`)).rows[0]!.x;
          }),
        );
        add(`${strategy} ${phase}`, t);
        const written = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM punchcard.tc_sessions WHERE xmin::text = $1`, [xid])).rows[0]!.n;
        const parts = [...statements].filter(([, v]) => v >= 20).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ');
        line.push(`${strategy} ${phase} ${Math.round(t)} (${JSON.stringify(counts)}, ${written} written; ${parts})`);
        await pool.query('VACUUM ANALYZE punchcard.tc_sessions');
      }
    }
    console.log(line.join('\n  '));
  }
  const copy = median(copyMs);
  console.log(`copy median ${Math.round(copy)} ms`);
  for (const [k, v] of ms) console.log(`${k.padEnd(28)} median ${String(Math.round(median(v))).padStart(6)} ms  ratio ${(copy / median(v)).toFixed(2)}  rounds ${v.map(Math.round).join(', ')}`);
} finally {
  await pool.end();
  await clone.drop();
  await db.close();
}
