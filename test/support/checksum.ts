/**
 * A checksum of what the warehouse holds, row for row: every internal data table (without the
 * bookkeeping columns that legitimately differ between two runs: first_seen_at, updated_at,
 * deleted_at times, run ids) and every reporting view. Two runs that converged have equal checksums.
 */
import type { Pool } from 'pg';

const VOLATILE = new Set(['first_seen_at', 'updated_at', 'deleted_at', 'run_id', 'created_at', 'fetched_at', 'detected_at', 'id']);
const SKIP_TABLES = new Set(['sync_runs', 'sync_windows', 'settings', 'rate_events']);

export async function warehouseChecksum(pool: Pool): Promise<Record<string, string>> {
  const { rows: relations } = await pool.query<{ schema: string; name: string; kind: string }>(`
    SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE (n.nspname = 'punchcard' AND c.relkind = 'r') OR (n.nspname = 'reporting' AND c.relkind = 'v')
    ORDER BY 1, 2`);
  const sums: Record<string, string> = {};
  for (const relation of relations) {
    if (relation.schema === 'punchcard' && SKIP_TABLES.has(relation.name)) continue;
    if (relation.schema === 'reporting' && ['sync_status', 'pay_periods', 'restatements'].includes(relation.name)) continue;
    const { rows: cols } = await pool.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute WHERE attrelid = format('%I.%I', $1::text, $2::text)::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [relation.schema, relation.name],
    );
    const kept = cols.map((c) => c.name).filter((c) => !VOLATILE.has(c) && !c.endsWith('_at'));
    const hasDeleted = cols.some((c) => c.name === 'deleted_at');
    const list = kept.map((c) => `"${c}"`).join(', ');
    const { rows } = await pool.query<{ sum: string | null; n: number }>(
      `SELECT md5(string_agg(r::text, E'\\n' ORDER BY r::text)) AS sum, count(*)::int AS n
       FROM (SELECT ${list}${hasDeleted ? ', deleted_at IS NOT NULL AS is_deleted' : ''} FROM "${relation.schema}"."${relation.name}") AS r`,
    );
    sums[`${relation.schema}.${relation.name}`] = `${rows[0]!.n}:${rows[0]!.sum ?? '-'}`;
  }
  return sums;
}
