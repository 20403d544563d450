/**
 * What a stream is. Glossary:
 * - source: an API (timeclock, clockodo); account: one set of credentials for it.
 * - stream: one kind of answer from a source (a JSON-RPC method, an endpoint).
 * - window: an inclusive range of local calendar days; each (stream, window) is fetched, transformed
 *   and loaded on its own, in one transaction, and recorded in the runs ledger.
 * - batch: what a transform makes of one window's answer: rows per table, and rejects.
 */
import type { SourceName } from '../errors.ts';
import type { TableSpec } from '../load/table-spec.ts';
import type { SpooledBatch } from './spool.ts';

export interface DateWindow {
  start: string; // YYYY-MM-DD
  end: string; // YYYY-MM-DD, inclusive
}

export interface RejectRow {
  employee_number?: string | null;
  work_date?: string | null;
  reason: string;
  raw: unknown;
}

export interface TableBatch {
  spec: TableSpec;
  rows: Record<string, unknown>[];
}

export interface StreamBatch {
  /** Records the source sent (before validation), for the ledger. */
  received: number;
  tables: TableBatch[];
  rejects: RejectRow[];
  /** When set, kept in punchcard.raw_answers for this (stream, window). */
  rawAnswer?: unknown;
}

export interface Stream {
  source: SourceName;
  name: string;
  account: string;
  /** Preferred window length in days when the user does not choose one. */
  defaultWindowDays: number;
  /**
   * How this stream splits a range when the user gives no --window-days (default: consecutive
   * windows of defaultWindowDays). clockodo uses calendar months; a snapshot stream one window.
   */
  splitWindows?(from: string, to: string): DateWindow[];
  /**
   * At most this many of the stream's windows in flight at once (default: the run's concurrency).
   * clockodo entrygroups: 2 (one fetched while the other loads), since its requests are throttled anyway.
   */
  maxConcurrentWindows?: number;
  fetch(window: DateWindow): Promise<unknown>;
  /** Pure: no I/O, no clock. */
  transform(answer: unknown, window: DateWindow): StreamBatch;
  /**
   * Fetches the window's answer, fingerprinting it as its bytes arrive (the body kept aside, not
   * parsed), and asks `known(answerSha256)` before parsing anything: an answer it recognises is
   * handed back unparsed (kind 'known'); any other is parsed, and for a spooled stream transformed
   * and spooled to disk (clockodo entrygroups: tens of MB a month). `known` is undefined when the
   * window has no committed answer (nothing can be recognised): the stream may then parse the
   * answer as it arrives. When present, the runner uses it instead of fetch.
   */
  receive?(window: DateWindow, known: ((answerSha256: string) => boolean) | undefined): Promise<ReceivedAnswer>;
  /**
   * What besides the answer decides the rows it becomes (e.g. the grouping): part of the answer's
   * fingerprint, so an unchanged answer read with other settings is loaded again.
   */
  settingsFingerprint?: string;
}

/** What a stream's answer is once read: held in memory (the runner transforms it), or transformed and spooled. */
export type ReadAnswer = { kind: 'answer'; answerSha256: string; answer: unknown } | { kind: 'spooled'; answerSha256: string; spooled: SpooledBatch };

/** What `receive` hands back: an answer read, or one recognised by its fingerprint and not parsed. */
export type ReceivedAnswer =
  | ReadAnswer
  | {
      kind: 'known';
      answerSha256: string;
      /** Parses (and transforms) it after all, should the ledger have moved on meanwhile. */
      read(): Promise<ReadAnswer>;
      /** Frees the kept body. */
      dispose(): Promise<void>;
    };
