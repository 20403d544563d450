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
   * clockodo entrygroups: 1, since its requests are throttled anyway and a month's answer is big.
   */
  maxConcurrentWindows?: number;
  fetch(window: DateWindow): Promise<unknown>;
  /** Pure: no I/O, no clock. */
  transform(answer: unknown, window: DateWindow): StreamBatch;
}
