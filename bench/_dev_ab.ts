import pg from 'pg';
import type { PoolClient } from 'pg';
import { openBenchDatabase } from './database.ts';
import { generateSessionRows } from './loader.ts';
import { copyRows } from '../src/load/merge.ts';
import { tcSessions } from '../src/load/tables.ts';
import { ident, qualified, type TableSpec } from '../src/load/table-spec.ts';
import { inTransaction } from '../src/db/client.ts';

const spec = tcSessions('sessions');
let n = 0;
async function upsert(client: PoolClient, spec: TableSpec, rows: Record<string, unknown>[], variant: 'A' | 'B', timing: Record<string, number>) {
  const stage = `st_${++n}`;
  let t = performance.now();
  const lap = (k: string) => { const now = performance.now(); timing[k] = (timing[k] ?? 0) + now - t; t = now; };
  await client.query(`CREATE TEMP TABLE ${stage} (${spec.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')}) ON COMMIT DROP`);
  await copyRows(client, stage, spec, rows); lap('copy');
  await client.query(`CREATE INDEX ON ${stage} (${spec.key.map(ident).join(', ')})`); lap('index');
  const target = qualified(spec.table);
  const names = spec.columns.map((c) => ident(c.name));
  const vals = spec.columns.filter((c) => !spec.key.includes(c.name)).map((c) => ident(c.name));
  const sets = [...vals.map((c) => `${c} = EXCLUDED.${c}`), 'updated_at = now()', 'deleted_at = NULL'];
  const cur = [...vals.map((c) => `t.${c}`), 't.deleted_at IS NOT NULL'];
  const inc = [...vals.map((c) => `EXCLUDED.${c}`), 'false'];
  const where = `WHERE ROW(${cur.join(', ')}) IS DISTINCT FROM ROW(${inc.join(', ')})`;
  const source = variant === 'A' ? `SELECT ${names.join(', ')} FROM ${stage}` :
    `SELECT ${names.map((c) => `s.${c}`).join(', ')} FROM ${stage} s LEFT JOIN ${target} c ON ${spec.key.map((k) => `c.${ident(k)} = s.${ident(k)}`).join(' AND ')}
     WHERE c.${ident(spec.key[0]!)} IS NULL OR ROW(${[...vals.map((x) => `c.${x}`), 'c.deleted_at IS NOT NULL'].join(', ')}) IS DISTINCT FROM ROW(${[...vals.map((x) => `s.${x}`), 'false'].join(', ')})`;
  const r = await client.query(`WITH w AS (INSERT INTO ${target} AS t (${names.join(', ')}) ${source} ON CONFLICT (${spec.key.map(ident).join(', ')}) DO UPDATE SET ${sets.join(', ')} ${where} RETURNING (xmax = 0) AS i) SELECT count(*) FILTER (WHERE i)::int AS ins, count(*) FILTER (WHERE NOT i)::int AS upd FROM w`);
  lap('upsert');
  const keyMatch = spec.key.map((k) => `s.${ident(k)} = t.${ident(k)}`).join(' AND ');
  const sc = spec.scope!({ account: 'bench', start: '2025-01-01', end: '2026-12-31' });
  const d = await client.query(`UPDATE ${target} AS t SET deleted_at = now(), updated_at = now() WHERE (${sc.sql}) AND t.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM ${stage} AS s WHERE ${keyMatch})`, sc.params);
  lap('mark');
  return { ...r.rows[0], del: d.rowCount };
}

const db = await openBenchDatabase((m) => console.log(m));
try {
  const clone = await db.clone('ab');
  const pool = new pg.Pool({ connectionString: clone.url, max: 2 });
  const count = Number(process.argv[2] ?? 50000);
  const a = generateSessionRows(count, 0).rows, b = generateSessionRows(count, 1).rows;
  for (let round = 0; round < Number(process.argv[3] ?? 3); round++) {
    for (const v of ['A', 'B'] as const) {
      await pool.query('TRUNCATE punchcard.tc_sessions');
      const out: string[] = [];
      for (const [label, rows] of [['new', a], ['changed', b], ['unchanged', b]] as const) {
        const timing: Record<string, number> = {};
        const t0 = performance.now();
        const r = await inTransaction(pool, (c) => upsert(c, spec, rows, v, timing));
        out.push(`${label} ${Math.round(performance.now() - t0)}ms [${Object.entries(timing).map(([k, x]) => `${k} ${Math.round(x)}`).join(' ')}] ${JSON.stringify(r)}`);
        await pool.query('VACUUM ANALYZE punchcard.tc_sessions');
      }
      console.log(v, out.join(' | '));
    }
  }
  await pool.end();
} finally { await db.close(); }
