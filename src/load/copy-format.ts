/**
 * Encodes rows in PostgreSQL's COPY text format (tab-separated, \N for NULL, backslash escapes).
 * Kept separate and pure so the edge cases (tabs, newlines, backslashes, quotes, non-ASCII,
 * NULL vs empty string) are tested on their own and round-tripped through a real server.
 */
import type { Column } from './table-spec.ts';

const NULL = '\\N';

/** Escapes one text value for COPY text format. */
export function escapeCopyText(value: string): string {
  // Fast path: most values need no escaping.
  if (!/[\\\t\n\r\b\f\v]/.test(value)) return value;
  return value.replace(/[\\\t\n\r\b\f\v]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\\\';
      case '\t':
        return '\\t';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      default:
        return '\\v';
    }
  });
}

/** A text[] literal: every element double-quoted, so commas, braces, quotes and "NULL" stay text. */
export function textArrayLiteral(values: ReadonlyArray<string>): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

export function encodeCopyValue(value: unknown, column: Column): string {
  if (value === null || value === undefined) return NULL;
  switch (column.type) {
    case 'jsonb':
      return escapeCopyText(JSON.stringify(value));
    case 'text[]':
      return escapeCopyText(textArrayLiteral(value as string[]));
    case 'text':
      return escapeCopyText(String(value));
    case 'boolean':
      return value ? 't' : 'f';
    default:
      // numbers, dates and timestamps are produced by our transforms as plain ASCII strings/numbers.
      return escapeCopyText(String(value));
  }
}

export function encodeCopyRow(row: Record<string, unknown>, columns: ReadonlyArray<Column>): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    if (i > 0) line += '\t';
    line += encodeCopyValue(row[column.name], column);
  }
  return `${line}\n`;
}

/** PostgreSQL text and jsonb cannot hold U+0000: such a row is rejected, never silently altered. */
export function findNulCharacter(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(findNulCharacter);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || findNulCharacter(v));
  return false;
}
