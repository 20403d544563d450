import pg from 'pg';
import { openBenchDatabase } from './database.ts';
import { benchLoader } from './loader.ts';
const db = await openBenchDatabase((m) => console.log(m));
try {
  const clone = await db.clone('loader');
  const pool = new pg.Pool({ connectionString: clone.url, max: 2 });
  const r = await benchLoader(pool, { rows: Number(process.argv[2] ?? 200000), repeats: Number(process.argv[3] ?? 3), log: (m) => console.log(m) });
  console.log(JSON.stringify(r, null, 1));
  await pool.end();
} finally { await db.close(); }
