/**
 * The per-window unit: fetch → transform → load → ledger row, the load in one transaction. It is
 * split in two so a runner can overlap windows: prepareWindow does the network and the CPU work
 * (a big answer spooled to disk as it arrives), commitWindow the database work. syncWindow runs
 * both for one window, for callers that schedule windows themselves (one job per window).
 *
 * An answer equal to the one the window last committed (same fingerprint) is recorded without
 * parsing (a stream with `receive`: its bytes are fingerprinted as they arrive), transforming,
 * staging or merging anything: an unchanged re-sync costs little more than reading the answers.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from '../logger.ts';
import { lastCommittedAnswer, loadSpooledWindow, loadWindow, recordIfUnchanged, type LedgerHooks, type WindowCounts, type WindowIdentity } from '../load/load-window.ts';
import { withDatabaseRetries } from '../load/retryable.ts';
import { sha256OfAnswer } from '../sources/answer-hash.ts';
import { finalizeBatch } from './batch.ts';
import type { SpooledBatch } from './spool.ts';
import type { DateWindow, ReceivedAnswer, Stream, StreamBatch } from './stream.ts';

/**
 * Raised whenever a transform or the rows it makes change meaning, so that answers fingerprinted
 * by an older version are loaded again instead of being taken as unchanged.
 * 2: records once rejected now load (zones such as EST5EDT; an empty or zero-date end as open; an
 * absence sent with days; a clockodo leaf with an unreadable optional field).
 */
export const TRANSFORM_VERSION = 2;

export type PreparedWindow =
  | { kind: 'spooled'; fingerprint: string; spooled: SpooledBatch }
  | { kind: 'batch'; fingerprint: string; answer: unknown; batch?: StreamBatch }
  /** Recognised by its fingerprint, not parsed: `read` parses it should the commit find the ledger moved on. */
  | { kind: 'known'; fingerprint: string; read(): Promise<PreparedWindow>; dispose(): Promise<void> };

export interface WindowTaskLike {
  stream: Stream;
  window: DateWindow;
}

/** The fingerprint of an answer: its SHA-256 with the transform's version and the stream's settings. */
export function answerFingerprint(stream: Stream, answerSha256: string): string {
  return createHash('sha256').update(`${TRANSFORM_VERSION}\n${stream.settingsFingerprint ?? ''}\n${answerSha256}`).digest('hex');
}

/**
 * Fetches (and transforms, or spools) one window. An answer that matches the last committed one is
 * neither transformed nor, for a stream with `receive`, parsed: commitWindow will most likely
 * record it unchanged.
 */
export async function prepareWindow(pool: Pool, identity: WindowIdentity, task: WindowTaskLike): Promise<PreparedWindow> {
  const { stream, window } = task;
  if (stream.receive) {
    // Looked up before the fetch, so the answer can be recognised before it is parsed. Stale by the
    // time of the fetch at worst, which costs nothing: commitWindow checks again under the stream's
    // lock (a window taken as known is parsed after all; one parsed for nothing is still only recorded).
    const last = await withDatabaseRetries(() => lastCommittedAnswer(pool, identity), { attempts: 4, baseDelayMs: 200 });
    const known = last === undefined ? undefined : (answerSha256: string) => answerFingerprint(stream, answerSha256) === last.answerSha256;
    return preparedOf(task, await stream.receive(window, known), known);
  }
  const answer = await stream.fetch(window);
  const fingerprint = answerFingerprint(stream, sha256OfAnswer(answer));
  const last = await withDatabaseRetries(() => lastCommittedAnswer(pool, identity), { attempts: 4, baseDelayMs: 200 });
  if (last?.answerSha256 === fingerprint) return { kind: 'batch', fingerprint, answer };
  return { kind: 'batch', fingerprint, answer, batch: finalizeBatch(stream.transform(answer, window)) };
}

function preparedOf(task: WindowTaskLike, received: ReceivedAnswer, known: ((answerSha256: string) => boolean) | undefined): PreparedWindow {
  const { stream, window } = task;
  const fingerprint = answerFingerprint(stream, received.answerSha256);
  switch (received.kind) {
    case 'spooled':
      return { kind: 'spooled', fingerprint, spooled: received.spooled };
    case 'answer':
      // A stream that cannot recognise its answer before parsing it (several requests per window)
      // still skips the transform.
      if (known?.(received.answerSha256)) return { kind: 'batch', fingerprint, answer: received.answer };
      return { kind: 'batch', fingerprint, answer: received.answer, batch: finalizeBatch(stream.transform(received.answer, window)) };
    case 'known':
      return { kind: 'known', fingerprint, read: async () => preparedOf(task, await received.read(), undefined), dispose: received.dispose };
  }
}

/**
 * Loads a prepared window in one transaction with its ledger row (retried on database errors);
 * `hooks` run in that transaction after the ledger row (the queue counts its run down there).
 */
export async function commitWindow(pool: Pool, identity: WindowIdentity, task: WindowTaskLike, prepared: PreparedWindow, log: Logger, hooks: LedgerHooks = {}): Promise<WindowCounts> {
  const options = { ...hooks, answerSha256: prepared.fingerprint };
  if (prepared.kind === 'known') {
    const counts = await withDatabaseRetries(() => recordIfUnchanged(pool, identity, options), { attempts: 4, baseDelayMs: 200 });
    if (counts) return counts;
    // Another load of these days committed since the fingerprint was looked up: load this answer.
    log.info('another load of these days committed since the answer was recognised: reading it after all');
    const read = await prepared.read();
    try {
      return await commitWindow(pool, identity, task, read, log, hooks);
    } finally {
      await disposeWindow(read);
    }
  }
  return withDatabaseRetries(
    async () => {
      // One transaction: an answer unchanged since the window's last commit is only recorded.
      if (prepared.kind === 'spooled') return loadSpooledWindow(pool, identity, prepared.spooled, options);
      return loadWindow(pool, identity, () => (prepared.batch ??= finalizeBatch(task.stream.transform(prepared.answer, task.window))), options);
    },
    {
      attempts: 4,
      baseDelayMs: 200,
      onRetry: (error, attempt) => log.warn({ err: error, attempt }, 'database error while loading the window; it rolled back, loading it again'),
    },
  );
}

/** Frees what a prepared window holds (its spool files). */
export async function disposeWindow(prepared: PreparedWindow | undefined): Promise<void> {
  if (prepared?.kind === 'spooled') await prepared.spooled.dispose();
  if (prepared?.kind === 'known') await prepared.dispose();
}

export interface SyncWindowOptions {
  hooks?: LedgerHooks;
  /** The window's answer, already fetched (a prefetch): loaded instead of fetching it. */
  prepared?: PreparedWindow;
  /** Called once the answer is in, before the load. */
  afterPrepare?: () => void;
}

/** The whole unit for one window; frees what it prepared (or was given) either way. */
export async function syncWindow(pool: Pool, identity: WindowIdentity, task: WindowTaskLike, log: Logger, options: SyncWindowOptions = {}): Promise<WindowCounts> {
  const prepared = options.prepared ?? (await prepareWindow(pool, identity, task));
  try {
    options.afterPrepare?.();
    return await commitWindow(pool, identity, task, prepared, log, options.hooks);
  } finally {
    await disposeWindow(prepared);
  }
}
