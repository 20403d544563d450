/**
 * Declarations of the tables the loader writes: columns (in COPY order), natural key, and which
 * rows a window "owns" (the rows it may mark deleted when the source stops returning them).
 */
export type ColumnType =
  | 'text'
  | 'bigint'
  | 'integer'
  | 'numeric'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'jsonb'
  | 'text[]';

export interface Column {
  name: string;
  type: ColumnType;
}

export interface WindowScope {
  account: string;
  start: string; // YYYY-MM-DD, inclusive
  end: string; // YYYY-MM-DD, inclusive
}

export interface TableSpec {
  /** Schema-qualified table name. */
  table: string;
  /** Columns the stream provides, in COPY order; must include the key. */
  columns: Column[];
  key: string[];
  /**
   * SQL predicate over alias `t` selecting the rows this window owns, with $1, $2, ... bound to
   * `params`. Undefined for dimensions (upsert only, never marked deleted).
   */
  scope?: (window: WindowScope) => { sql: string; params: unknown[] };
  /**
   * Dimensions only: columns this stream alone sends, as part of a whole record, so a NULL it sends
   * is the value (an employee's `workEndedAt` set back to null), not "not known here". Every other
   * column of a dimension keeps its value when a stream sends NULL for it.
   */
  nullClears?: readonly string[];
}

export function columns(spec: Record<string, ColumnType>): Column[] {
  return Object.entries(spec).map(([name, type]) => ({ name, type }));
}

/** Quotes an identifier we declared ourselves (table specs are code, never user input). */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected identifier ${name}`);
  return `"${name}"`;
}

export function qualified(table: string): string {
  return table.split('.').map(ident).join('.');
}
