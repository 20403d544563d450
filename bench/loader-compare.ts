/**
 * Side-by-side loader strategies: for each round, a raw COPY and then every strategy's
 * new / changed / unchanged loads of the same tc_sessions rows (bench/loader.ts's generator),
 * interleaved so a busy machine skews all of them alike. Prints medians and ratios to COPY.
 * `node bin/run-ts.mjs bench/loader-compare.ts [rows] [rounds] [strategy,...]`
 */
import pg from 'pg';
import { inTransaction } from '../src/db/client.ts';
import { copyRows, mergeTable, type MergeStrategy } from '../src/load/merge.ts';
import { tcSessions } from '../src/load/tables.ts';
import { openBenchDatabase } from './database.ts';
import { generateSessionRows } from './loader.ts';

const SPEC = tcSessions('sessions');
const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
const strategies = (process.argv[4] ?? 'upsert,update-insert').split(',') as MergeStrategy[];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

const db = await openBenchDatabase((m) => console.log(m));
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
    for (const strategy of strategies) {
      await fresh();
      const phases: Array<[string, Array<Record<string, unknown>>]> = [['new', original.rows], ['changed', changed.rows], ['unchanged', changed.rows]];
      for (const [phase, rows] of phases) {
        let xid = '';
        let counts = {};
        const t = await timed(() =>
          inTransaction(pool, async (c) => {
            counts = await mergeTable(c, SPEC, rows, window, strategy);
            xid = (await c.query<{ x: string }>(`SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text AS x`)).rows[0]!.x;
          }),
        );
        add(`${strategy} ${phase}`, t);
        const written = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM punchcard.tc_sessions WHERE xmin::text = $1`, [xid])).rows[0]!.n;
        line.push(`${strategy} ${phase} ${Math.round(t)} (${JSON.stringify(counts)}, ${written} written)`);
        await pool.query('VACUUM ANALYZE punchcard.tc_sessions');
      }
    }
    console.log(line.join(' | '));
  }
  const copy = median(copyMs);
  console.log(`copy median ${Math.round(copy)} ms`);
  for (const [k, v] of ms) console.log(`${k.padEnd(28)} median ${String(Math.round(median(v))).padStart(6)} ms  ratio ${(copy / median(v)).toFixed(2)}  rounds ${v.map(Math.round).join(', ')}`);
} finally {
  await pool.end();
  await clone.drop();
  await db.close();
}
