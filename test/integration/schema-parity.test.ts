/**
 * prisma/schema.prisma and the SQL migrations must describe the same tables: every model maps to
 * a table of the migrated database with the same columns, types, nullability and primary key, and
 * every internal table has a model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dbTest } from '../support/database.ts';

interface ModelColumn {
  column: string;
  type: string;
  nullable: boolean;
}

const SCALARS: Record<string, string> = {
  String: 'text',
  BigInt: 'bigint',
  Int: 'integer',
  Boolean: 'boolean',
  Json: 'jsonb',
  Decimal: 'numeric',
  Float: 'double precision',
};
const NATIVE: Record<string, string> = {
  Date: 'date',
  Timestamp: 'timestamp without time zone',
  Timestamptz: 'timestamp with time zone',
};

function parseSchema(text: string) {
  const models = new Map<string, { columns: ModelColumn[]; primaryKey: string[] }>();
  for (const match of text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const body = match[2]!;
    const table = /@@map\("(\w+)"\)/.exec(body)?.[1] ?? match[1]!;
    const columns: ModelColumn[] = [];
    const fieldToColumn = new Map<string, string>();
    let primaryKey: string[] = [];
    for (const line of body.split('\n').map((l) => l.trim())) {
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!field || line.startsWith('@@')) continue;
      const [, name, type, list, optional, attributes] = field as unknown as [string, string, string, string | undefined, string | undefined, string];
      if (attributes.includes('@relation') || (!(type in SCALARS) && type !== 'DateTime')) continue;
      const column = /@map\("(\w+)"\)/.exec(attributes)?.[1] ?? name;
      fieldToColumn.set(name, column);
      const native = /@db\.(\w+)/.exec(attributes)?.[1];
      let sqlType = type === 'DateTime' ? NATIVE[native ?? 'Timestamp']! : type === 'Json' && native === 'Json' ? 'json' : SCALARS[type]!;
      if (list) sqlType = `${sqlType}[]`;
      columns.push({ column, type: sqlType, nullable: Boolean(optional) });
      if (/@id\b/.test(attributes)) primaryKey = [column];
    }
    const compositeId = /@@id\(\[([^\]]+)\]\)/.exec(body)?.[1];
    if (compositeId) primaryKey = compositeId.split(',').map((f) => fieldToColumn.get(f.trim())!);
    models.set(table, { columns: columns.sort((a, b) => a.column.localeCompare(b.column)), primaryKey });
  }
  return models;
}

describe('schema.prisma ↔ migrations', () => {
  dbTest('describe the same tables, columns, types, nullability and keys', async ({ db }) => {
    const models = parseSchema(readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8'));
    expect(models.size).toBeGreaterThan(5);

    const { rows } = await db.pool.query<{ table_name: string; column_name: string; type: string; nullable: boolean }>(`
      SELECT c.table_name, c.column_name,
             CASE WHEN c.data_type = 'ARRAY' THEN format_type(a.atttypid, NULL) ELSE c.data_type END AS type,
             c.is_nullable = 'YES' AS nullable
      FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
      WHERE c.table_schema = 'punchcard'`);
    const database = new Map<string, ModelColumn[]>();
    for (const row of rows) {
      const list = database.get(row.table_name) ?? [];
      list.push({ column: row.column_name, type: row.type, nullable: row.nullable });
      database.set(row.table_name, list);
    }
    expect([...models.keys()].sort()).toEqual([...database.keys()].sort());
    for (const [table, model] of models) {
      expect(model.columns, table).toEqual(database.get(table)!.sort((a, b) => a.column.localeCompare(b.column)));
    }

    const { rows: keys } = await db.pool.query<{ table_name: string; columns: string[] }>(`
      SELECT c.conrelid::regclass::text AS table_name, array_agg(a.attname ORDER BY k.ord)::text[] AS columns
      FROM pg_constraint c
      CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
      WHERE c.contype = 'p' AND c.connamespace = 'punchcard'::regnamespace
      GROUP BY c.conrelid`);
    for (const key of keys) {
      expect(models.get(key.table_name.replace(/^punchcard\./, ''))?.primaryKey, key.table_name).toEqual(key.columns);
    }
  });
});
