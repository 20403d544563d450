import pg from 'pg';
import { openBenchDatabase } from './database.ts';
import { generateSessionRows } from './loader.ts';
import { copyRows } from '../src/load/merge.ts';
import { tcSessions } from '../src/load/tables.ts';
const db = await openBenchDatabase((m) => console.log(m));
try {
  const clone = await db.clone('explain');
  const pool = new pg.Pool({ connectionString: clone.url, max: 2 });
  const spec = tcSessions('sessions');
  const { rows, window } = generateSessionRows(Number(process.argv[2] ?? 20000));
  const c = await pool.connect();
  await c.query('BEGIN');
  const defs = spec.columns.map((x) => `"${x.name}" ${x.type}`).join(', ');
  await c.query(`CREATE TEMP TABLE st (${defs}) ON COMMIT DROP`);
  await copyRows(c, 'st', spec, rows);
  await c.query('ANALYZE st');
  await c.query(`INSERT INTO punchcard.tc_sessions (${spec.columns.map((x) => `"${x.name}"`).join(',')}) SELECT * FROM st`);
  const q = `EXPLAIN UPDATE punchcard.tc_sessions AS t SET deleted_at = now(), updated_at = now()
       WHERE (t.account = $1 AND t.method = $2 AND t.work_date BETWEEN $3::date AND $4::date) AND t.deleted_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM st AS s WHERE s.account = t.account AND s.method = t.method AND s.employee_number = t.employee_number AND s.start_local = t.start_local)`;
  const r = await c.query(q, [window.account, 'sessions', window.start, window.end]);
  console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
  await c.query('ROLLBACK'); c.release();
  await pool.end();
} finally { await db.close(); }
