/**
 * A window's answer between its fetch and its load, on disk instead of in memory. While the body
 * arrives, each member of its top-level list (a clockodo month's `groups`: one user's month; a
 * TimeClock answer's `result`: one employee's days) goes through the pure transform and its rows
 * are written as COPY text, one file per table, and (clockodo) the raw answer, as JSON text, to
 * another: each member as the source wrote it (see group), the rest as JSON.stringify writes it.
 * The load then streams the files into COPY inside the window's transaction. Memory holds one
 * member at a time, and the dimension rows (one per employee), whatever the size of the answer.
 *
 * Why files and not the database directly: the fetch must be retryable (a reset or a truncated body
 * starts the request again) before the window's transaction opens, and one connection runs one COPY
 * at a time, so rows and raw answer could not both flow into the transaction as the body arrives.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { encodeCopyRow, findUnstorableText, storableJson } from '../load/copy-format.ts';
import { columns, type TableSpec } from '../load/table-spec.ts';
import { finalizeBatch, rejectOf } from './batch.ts';
import type { RejectRow, StreamBatch } from './stream.ts';

/**
 * One table of a spooled answer. A scoped table's rows are COPY text in a file (the spec's columns,
 * in the answer's order), loaded straight into an empty scope or checked for repeated keys in SQL
 * once staged (see loadSpooledWindow); a dimension
 * (no scope: one row per employee) is held in memory, merged as finalizeBatch merges it.
 */
export type SpooledTable = { spec: TableSpec; file: string; rows: number } | { spec: TableSpec; held: Record<string, unknown>[] };

/** A window's answer, transformed and spooled, ready for loadSpooledWindow. */
export interface SpooledBatch {
  /** Records the source sent (before validation), for the ledger. */
  received: number;
  /** The rejects as COPY text (SPOOLED_REJECT_COLUMNS), in the order they came, and how many. */
  rejectsFile: string;
  rejected: number;
  /** Every table the transform writes, in load order, each merged even when no row came. */
  tables: SpooledTable[];
  /** The raw answer's JSON text (UTF-8), when the stream keeps it. */
  rawFile?: string;
  /** SHA-256 of the body as received. */
  answerSha256: string;
  /** Removes the files. */
  dispose(): Promise<void>;
}

/** What a client hands each member of an answer's split list (see sources/list-splitter.ts), in order. */
export interface ListSink<T> {
  /**
   * `key` is its index, or its key when the list is an object; `root` is the answer object holding
   * the members that came before the list; `text`, when known, is the member as the answer wrote it
   * (`"key":value` in an object), which `value` is exactly the parse of.
   */
  group(value: unknown, key: string | number, root: Record<string, unknown>, text?: Buffer): void;
  /** Resolves once the files have taken what was written (backpressure between network chunks). */
  drained(): Promise<void>;
  /** The body was complete and valid; `root` is the answer without the list's members. */
  finish(root: Record<string, unknown>, answerSha256: string): Promise<T>;
  /** The attempt failed: drop everything written. */
  discard(): Promise<void>;
}

/** Where a transform puts a row: `spec` is one of its `specs`. */
export type EmitRow = (row: Record<string, unknown>, spec: TableSpec) => void;

/** The pure transform, one member of the list at a time (see createEntrygroupsTransformer). */
export interface MemberTransformer {
  /** Every table it writes, in load order. */
  specs: TableSpec[];
  /** `reject`: a reject known at once goes to the spool (held, a whole answer of rejects would be held whole). */
  push(member: unknown, emit: EmitRow, reject: (row: RejectRow) => void): void;
  /** The received count, and any rejects held back until the end (clockodo orders them). */
  finish(emit: EmitRow): { received: number; rejects: RejectRow[] };
}

/** The columns of a spooled reject; the window's identity and run are added at load. */
export const SPOOLED_REJECT_COLUMNS = columns({ employee_number: 'text', work_date: 'date', reason: 'text', raw: 'jsonb' });

/** A transform of one table, member by member (clockodo entrygroups), as a MemberTransformer. */
export function oneTableTransformer(
  spec: TableSpec,
  transformer: { push(member: unknown, emit: (row: Record<string, unknown>) => void): void; finish(emit: (row: Record<string, unknown>) => void): { received: number; rejects: RejectRow[] } },
): MemberTransformer {
  return {
    specs: [spec],
    push: (member, emit) => transformer.push(member, (row) => emit(row, spec)),
    finish: (emit) => transformer.finish((row) => emit(row, spec)),
  };
}

/**
 * A whole-answer transform whose records do not depend on each other (the TimeClock methods: each
 * employee record stands alone) run on one record at a time: transform([a, b]) lands what
 * transform([a]) and transform([b]) land together, once finalizeBatch's checks have run on the
 * lot. The tables are those transform([]) declares.
 */
export function recordByRecordTransformer(transform: (records: unknown[]) => StreamBatch): MemberTransformer {
  let received = 0;
  // Matched by place: a transform builds its specs afresh on every call, always the same list.
  const specs = transform([]).tables.map((table) => table.spec);
  return {
    specs,
    push(member, emit, reject) {
      const batch = transform([member]);
      received += batch.received;
      for (const row of batch.rejects) reject(row);
      batch.tables.forEach(({ spec, rows }, index) => {
        const declared = specs[index];
        if (declared?.table !== spec.table) throw new Error(`the transform's table ${index + 1} is ${spec.table}, not ${declared?.table}`);
        for (const row of rows) emit(row, declared);
      });
    },
    finish: () => ({ received, rejects: [] }),
  };
}

/** What is spooled: the list's name in the answer, and whether the raw answer is kept (punchcard.raw_answers). */
export interface SpoolOptions {
  listKey: string;
  keepRawAnswer: boolean;
}

const PIECE = 65_536;

interface TextFile {
  path: string;
  write(text: string | Buffer): void;
  drained(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Text is encoded as UTF-8 straight into a 64 KB Buffer as it is written, and the Buffer goes to the
 * file when full. Gathering a 64 KB string first (a rope of many row strings) flattened every piece
 * before encoding it, and left a 64-128 KB string of young-generation garbage per piece (flatten and
 * encode: 1.2 s of a 62-day backfill's 17.4 s of work in a profile). The encode stays (1.3 s of 32 s
 * busy in a later 62-day profile); the saving was not measured apart from the day's other changes.
 */
function textFile(file: string): TextFile {
  const out: WriteStream = createWriteStream(file);
  let piece = Buffer.allocUnsafe(PIECE);
  let used = 0;
  // Cleared by the event itself: a drain that came while another file was awaited is not missed.
  let full = false;
  out.on('drain', () => (full = false));
  // A failed write (a full disk) fails the window's attempt at its next write, wait or close,
  // instead of an unhandled 'error' event ending the process.
  let failure: Error | undefined;
  out.on('error', (error) => (failure ??= error));
  const send = (bytes: Buffer | string) => {
    if (failure) throw failure;
    if (!out.write(bytes)) full = true;
  };
  const flush = () => {
    if (failure) throw failure;
    if (used === 0) return;
    send(piece.subarray(0, used));
    piece = Buffer.allocUnsafe(PIECE);
    used = 0;
  };
  return {
    path: file,
    write(text) {
      if (typeof text !== 'string') {
        flush();
        send(text);
        return;
      }
      // A UTF-16 code unit takes at most 3 bytes in UTF-8.
      if (used + text.length * 3 > PIECE) {
        flush();
        if (text.length * 3 > PIECE) {
          send(text);
          return;
        }
      }
      used += piece.write(text, used);
    },
    async drained() {
      if (failure) throw failure;
      if (full) await once(out, 'drain');
    },
    async close() {
      flush();
      out.end();
      await finished(out);
    },
  };
}

/**
 * A parsed string holds U+0000 or a lone surrogate only where its JSON text wrote a `\u` escape:
 * raw, they are not JSON, and bytes that are not UTF-8 read as U+FFFD. A member whose text has no
 * `\u` is clean without walking it (a scan at memchr speed instead of a regular expression per string).
 */
const ESCAPED_CODE_POINT = Buffer.from('\\u');

/** Opens a spool for one attempt at a window's answer. */
export async function openSpool(options: SpoolOptions, transformer: MemberTransformer): Promise<ListSink<SpooledBatch>> {
  const { listKey } = options;
  const dir = await mkdtemp(path.join(tmpdir(), 'punchcard-spool-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const rawFile = options.keepRawAnswer ? textFile(path.join(dir, 'raw.json')) : undefined;
  const rejectsFile = textFile(path.join(dir, 'rejects.copy'));
  let rejected = 0;
  const reject = (row: RejectRow) => {
    rejected += 1;
    rejectsFile.write(encodeCopyRow({ employee_number: row.employee_number ?? null, work_date: row.work_date ?? null, reason: row.reason, raw: storableJson(row.raw) }, SPOOLED_REJECT_COLUMNS));
  };
  type Table = { spec: TableSpec; held: Record<string, unknown>[] } | { spec: TableSpec; file: TextFile; rows: number };
  const tables = transformer.specs.map(
    (spec, index): Table => (spec.scope === undefined ? { spec, held: [] } : { spec, file: textFile(path.join(dir, `rows-${index}.copy`)), rows: 0 }),
  );
  const tableOf = new Map(tables.map((table) => [table.spec, table]));
  let groups = 0;
  let listIsArray = true;
  // finalizeBatch's first check, row by row (its rejects go to the spool); its key checks run on the stage (settleDuplicateKeys).
  // A row's text all comes from its member (or the settings): rows of a clean member need no scan.
  let memberIsClean = false;
  const emit: EmitRow = (row, spec) => {
    const table = tableOf.get(spec);
    if (table === undefined) throw new Error(`the transform wrote to ${spec.table}, which it did not declare`);
    // Dimension rows are few (one per employee); finalizeBatch checks and merges them at the end.
    if ('held' in table) {
      table.held.push(row);
      return;
    }
    const why = memberIsClean ? undefined : findUnstorableText(row);
    if (why !== undefined) {
      reject(rejectOf(row, why));
      return;
    }
    table.rows += 1;
    table.file.write(encodeCopyRow(row, spec.columns));
  };
  // The raw answer member by member, with U+0000 and lone surrogates as visible escape text (see
  // keepRawAnswer).
  const json = (value: unknown, clean = findUnstorableText(value) === undefined) => JSON.stringify(clean ? value : storableJson(value));
  const members = (root: Record<string, unknown>, which: 'before' | 'after'): string[] => {
    const keys = Object.keys(root);
    const at = keys.indexOf(listKey);
    return (which === 'before' ? keys.slice(0, at) : keys.slice(at + 1)).map((key) => `${json(key)}:${json(root[key])}`);
  };
  const files = () => [rejectsFile, ...(rawFile ? [rawFile] : []), ...tables.flatMap((table) => ('file' in table ? [table.file] : []))];
  return {
    group(value, key, root, text) {
      if (groups === 0) {
        listIsArray = Array.isArray(root[listKey]);
        rawFile?.write(`{${members(root, 'before').map((m) => `${m},`).join('')}${json(listKey)}:${listIsArray ? '[' : '{'}`);
      }
      memberIsClean = (text !== undefined && text.indexOf(ESCAPED_CODE_POINT) === -1) || findUnstorableText(value) === undefined;
      transformer.push(value, emit, reject);
      if (rawFile) {
        if (groups > 0) rawFile.write(',');
        // As it came, which spares serialising ~100 MB a month again; re-written when the text must
        // change (U+0000, lone surrogates) or is not UTF-8 (JSON.parse read it with U+FFFD).
        if (text !== undefined && memberIsClean && isUtf8(text)) rawFile.write(text);
        // Object members of the list (a PHP associative array) keep their keys in the raw answer.
        else rawFile.write(`${listIsArray ? '' : `${json(String(key))}:`}${json(value, memberIsClean)}`);
      }
      memberIsClean = false;
      groups += 1;
    },
    async drained() {
      for (const file of files()) await file.drained();
    },
    async finish(root, answerSha256) {
      if (groups === 0) rawFile?.write(json(root));
      else rawFile?.write(`${listIsArray ? ']' : '}'}${members(root, 'after').map((m) => `,${m}`).join('')}}`);
      const { received, rejects } = transformer.finish(emit);
      for (const row of rejects) reject(row);
      // The dimensions' checks and merges, exactly as for a batch held in memory.
      const dimensions = finalizeBatch({ received, rejects: [], tables: tables.flatMap((table) => ('held' in table ? [{ spec: table.spec, rows: table.held }] : [])) });
      for (const row of dimensions.rejects) reject(row);
      for (const file of files()) await file.close();
      const merged = new Map(dimensions.tables.map((table) => [table.spec, table.rows]));
      return {
        received,
        rejectsFile: rejectsFile.path,
        rejected,
        tables: tables.map((table) => ('held' in table ? { spec: table.spec, held: merged.get(table.spec)! } : { spec: table.spec, file: table.file.path, rows: table.rows })),
        rawFile: rawFile?.path,
        answerSha256,
        dispose,
      };
    },
    async discard() {
      await Promise.allSettled(files().map((file) => file.close()));
      await dispose();
    },
  };
}

export function readSpool(file: string): Readable {
  return createReadStream(file, { highWaterMark: PIECE });
}
