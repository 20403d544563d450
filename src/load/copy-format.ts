/**
 * Encodes rows in PostgreSQL's COPY text format (tab-separated, \N for NULL, backslash escapes).
 * Kept separate and pure so the edge cases (tabs, newlines, backslashes, quotes, non-ASCII,
 * NULL vs empty string) are tested on their own and round-tripped through a real server.
 */
import { MAX_JSON_DEPTH, TooDeep } from '../json-depth.ts';
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

/**
 * What PostgreSQL text and jsonb cannot hold: U+0000, and a UTF-16 surrogate without its pair
 * (JSON.parse accepts "\ud800"; text would store U+FFFD instead, jsonb refuses the whole COPY).
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a value cannot be stored as it is, or undefined. Such a row is rejected, never altered. */
export function findUnstorableText(value: unknown): string | undefined {
  const match = firstUnstorable(value);
  if (match === undefined) return undefined;
  if (match === TOO_DEEP) return `record is nested deeper than ${MAX_JSON_DEPTH} levels`;
  return match === '\u0000'
    ? 'record contains a NUL character (U+0000), which PostgreSQL cannot store'
    : `record contains an unpaired UTF-16 surrogate (U+${match.charCodeAt(0).toString(16).toUpperCase()}), which is not valid Unicode`;
}

/** A cheap character class that every unstorable character matches; most strings fail it at once. */
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;

/** What firstUnstorable returns for a TooDeep marker (a string no answer character can equal). */
const TOO_DEEP = 'too deep';

function firstUnstorable(value: unknown): string | undefined {
  if (value instanceof TooDeep) return TOO_DEEP;
  if (typeof value === 'string') return MAYBE_UNSTORABLE.test(value) ? UNSTORABLE.exec(value)?.[0] : undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = firstUnstorable(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = firstUnstorable(key) ?? firstUnstorable(item);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * A copy of `value` that jsonb accepts: each unstorable character becomes its visible escape
 * text ("\u0000", "\ud800"). For keeping rejected records and raw answers as evidence only.
 */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') {
    return UNSTORABLE.test(value) ? value.replace(new RegExp(UNSTORABLE.source, 'g'), (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`) : value;
  }
  if (Array.isArray(value)) return value.map(storableJson);
  // What JSON.stringify would write (a Date as its ISO text), not the object's own enumerable keys.
  if (value && typeof (value as { toJSON?: unknown }).toJSON === 'function') return storableJson((value as { toJSON(): unknown }).toJSON());
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableJson(key) as string, storableJson(item)]));
  }
  return value;
}

/**
 * JSON text of `value` in pieces of about `pieceSize` characters, never holding the whole text:
 * containers down to `depth` levels are written member by member, deeper values stringified
 * whole. Concatenated, the pieces equal JSON.stringify(value) (undefined members omitted the same way).
 */
export function* jsonPieces(value: unknown, depth = 3, pieceSize = 65_536): Generator<string> {
  let buffer = '';
  function* emit(text: string): Generator<string> {
    buffer += text;
    if (buffer.length >= pieceSize) {
      yield buffer;
      buffer = '';
    }
  }
  function* walk(item: unknown, level: number): Generator<string> {
    if (level >= depth || item === null || typeof item !== 'object' || typeof (item as { toJSON?: unknown }).toJSON === 'function') {
      yield* emit(JSON.stringify(item) ?? 'null');
      return;
    }
    if (Array.isArray(item)) {
      yield* emit('[');
      for (let i = 0; i < item.length; i++) {
        if (i > 0) yield* emit(',');
        const member = item[i];
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') yield* emit('null');
        else yield* walk(member, level + 1);
      }
      yield* emit(']');
      return;
    }
    yield* emit('{');
    let first = true;
    for (const [key, member] of Object.entries(item)) {
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      yield* emit(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      yield* walk(member, level + 1);
    }
    yield* emit('}');
  }
  yield* walk(value, 0);
  if (buffer.length > 0) yield buffer;
}

// COPY … (FORMAT binary): a signature, flags and header extension (both 0); per tuple its field
// count, then each field as a 32-bit length and its bytes; -1 as the field count to end.
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4)
const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export function binaryCopyHeader(): Buffer {
  return Buffer.concat([BINARY_SIGNATURE, Buffer.alloc(8)]);
}

export function binaryCopyTrailer(): Buffer {
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  return trailer;
}

export function binaryTupleStart(fields: number): Buffer {
  const start = Buffer.alloc(2);
  start.writeInt16BE(fields);
  return start;
}

/** A field's length word; its bytes follow. A field holds at most 1 GB (the server's limit on a value). */
export function binaryFieldLength(bytes: number): Buffer {
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0x3fffffff) throw new RangeError(`a value of ${bytes} bytes cannot be sent (PostgreSQL takes at most 1 GB)`);
  const length = Buffer.alloc(4);
  length.writeInt32BE(bytes);
  return length;
}

/** A text (or json) field: its UTF-8 bytes. */
export function binaryText(text: string): Buffer {
  const bytes = Buffer.from(text);
  return Buffer.concat([binaryFieldLength(bytes.length), bytes]);
}

/** A date field ("YYYY-MM-DD"): days since 2000-01-01. */
export function binaryDate(date: string): Buffer {
  const at = Date.parse(`${date}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over into March: only a date that reads back the same is one.
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== date) throw new RangeError(`not a date: ${date}`);
  const days = (at - Date.UTC(2000, 0, 1)) / 86_400_000;
  const field = Buffer.alloc(8);
  field.writeInt32BE(4);
  field.writeInt32BE(days, 4);
  return field;
}
