/**
 * A window's answer between its fetch and its load, on disk instead of in memory. While the body
 * arrives, each top-level group goes through the pure transform and its rows are written as COPY
 * text to one file, and the raw answer (as JSON.stringify would write the parsed answer, which is
 * what punchcard.raw_answers has always held) to another. The load then streams both files into
 * COPY inside the window's transaction. Memory holds one top-level group at a time, whatever the
 * size of the answer.
 *
 * Why files and not the database directly: the fetch must be retryable (a reset or a truncated body
 * starts the request again) before the window's transaction opens, and one connection runs one COPY
 * at a time, so rows and raw answer could not both flow into the transaction as the body arrives.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { encodeCopyRow, escapeCopyText, findUnstorableText, storableJson } from '../load/copy-format.ts';
import type { TableSpec } from '../load/table-spec.ts';
import { rejectOf } from './batch.ts';
import type { RejectRow } from './stream.ts';

/** A window's answer, transformed and spooled, ready for loadSpooledWindow. */
export interface SpooledBatch {
  /** Records the source sent (before validation), for the ledger. */
  received: number;
  rejects: RejectRow[];
  spec: TableSpec;
  /** COPY text of the stage: the spec's columns, then the row's ordinal in the answer. */
  rowsFile: string;
  rows: number;
  /** The raw answer's JSON, already escaped for COPY text. */
  rawFile: string;
  /** SHA-256 of the body as received. */
  answerSha256: string;
  /** Removes the files. */
  dispose(): Promise<void>;
}

/** What a client hands each member of an answer's top-level `groups`, in order. */
export interface GroupsSink<T> {
  /**
   * `key` is its index, or its key when `groups` is an object; `root` is the answer object holding
   * the members that came before `groups`.
   */
  group(value: unknown, key: string | number, root: Record<string, unknown>): void;
  /** Resolves once the files have taken what was written (backpressure between network chunks). */
  drained(): Promise<void>;
  /** The body was complete and valid; `root` is the answer without the members of `groups`. */
  finish(root: Record<string, unknown>, answerSha256: string): Promise<T>;
  /** The attempt failed: drop everything written. */
  discard(): Promise<void>;
}

/** The pure transform, one top-level group at a time (see createEntrygroupsTransformer). */
export interface GroupTransformer {
  push(group: unknown, emit: (row: Record<string, unknown>) => void): void;
  finish(emit: (row: Record<string, unknown>) => void): { received: number; rejects: RejectRow[] };
}

const PIECE = 65_536;

interface TextFile {
  path: string;
  write(text: string): void;
  drained(): Promise<void>;
  close(): Promise<void>;
}

function textFile(file: string): TextFile {
  const out: WriteStream = createWriteStream(file);
  let buffer = '';
  // Cleared by the event itself: a drain that came while another file was awaited is not missed.
  let full = false;
  out.on('drain', () => (full = false));
  const flush = () => {
    if (buffer.length === 0) return;
    if (!out.write(buffer)) full = true;
    buffer = '';
  };
  return {
    path: file,
    write(text) {
      buffer += text;
      if (buffer.length >= PIECE) flush();
    },
    async drained() {
      if (full) await once(out, 'drain');
    },
    async close() {
      flush();
      out.end();
      await finished(out);
    },
  };
}

/** Opens a spool for one attempt at a window's answer. */
export async function openSpool(spec: TableSpec, transformer: GroupTransformer): Promise<GroupsSink<SpooledBatch>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'punchcard-spool-'));
  const rowsFile = textFile(path.join(dir, 'rows.copy'));
  const rawFile = textFile(path.join(dir, 'raw.copy'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  let rows = 0;
  let groups = 0;
  let groupsIsList = true;
  // finalizeBatch's first check, row by row; its key checks run on the stage (settleDuplicateKeys).
  const unstorable: RejectRow[] = [];
  // A row's text all comes from its group (or the settings): rows of a clean group need no scan.
  let groupIsClean = false;
  const emit = (row: Record<string, unknown>) => {
    const why = groupIsClean ? undefined : findUnstorableText(row);
    if (why !== undefined) {
      unstorable.push(rejectOf(row, why));
      return;
    }
    rows += 1;
    const line = encodeCopyRow(row, spec.columns);
    rowsFile.write(`${line.slice(0, -1)}\t${rows}\n`);
  };
  // The raw answer as JSON.stringify(answer) would write it, with U+0000 and lone surrogates as
  // visible escape text (see keepRawAnswer), written member by member.
  const json = (value: unknown, clean = findUnstorableText(value) === undefined) => escapeCopyText(JSON.stringify(clean ? value : storableJson(value)));
  const members = (root: Record<string, unknown>, which: 'before' | 'after'): string[] => {
    const keys = Object.keys(root);
    const at = keys.indexOf('groups');
    return (which === 'before' ? keys.slice(0, at) : keys.slice(at + 1)).map((key) => `${json(key)}:${json(root[key])}`);
  };
  return {
    group(value, key, root) {
      if (groups === 0) {
        groupsIsList = Array.isArray(root.groups);
        const before = members(root, 'before');
        rawFile.write(`{${before.map((m) => `${m},`).join('')}"groups":${groupsIsList ? '[' : '{'}`);
      }
      groupIsClean = findUnstorableText(value) === undefined;
      transformer.push(value, emit);
      // Object members of `groups` (a PHP associative array) keep their keys in the raw answer.
      const name = groupsIsList ? '' : `${json(String(key))}:`;
      rawFile.write(`${groups > 0 ? ',' : ''}${name}${json(value, groupIsClean)}`);
      groupIsClean = false;
      groups += 1;
    },
    async drained() {
      await rowsFile.drained();
      await rawFile.drained();
    },
    async finish(root, answerSha256) {
      if (groups === 0) rawFile.write(json(root));
      else rawFile.write(`${groupsIsList ? ']' : '}'}${members(root, 'after').map((m) => `,${m}`).join('')}}`);
      const { received, rejects } = transformer.finish(emit);
      await rowsFile.close();
      await rawFile.close();
      return { received, rejects: [...rejects, ...unstorable], spec, rowsFile: rowsFile.path, rows, rawFile: rawFile.path, answerSha256, dispose };
    },
    async discard() {
      await Promise.allSettled([rowsFile.close(), rawFile.close()]);
      await dispose();
    },
  };
}

export function readSpool(file: string): Readable {
  return createReadStream(file, { highWaterMark: PIECE });
}
