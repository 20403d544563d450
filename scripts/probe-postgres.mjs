#!/usr/bin/env node
// Exits 0 when a PostgreSQL server answers at the given URL (used by .ci/run to choose
// TEST_DATABASE_URL); 1 otherwise. Never creates or drops anything.
import pg from 'pg';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
try {
  await client.connect();
  await client.query('SELECT 1');
  await client.end();
  process.exit(0);
} catch {
  process.exit(1);
}
