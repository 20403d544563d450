/**
 * The next month of a run, fetched while this one loads. A clockodo account's entrygroups months
 * run one at a time (a group of cap one), each a fetch (the API's time: seconds for a month's
 * answer) then a load (PostgreSQL's: the month's rows and its raw answer); back to back, every load
 * sits on the run's longest chain. So once a month's answer is in, the hand looks up the run's next
 * waiting month of the same group and starts fetching it beside the load; when a hand of this
 * process then takes that job, it loads what was fetched. Requests to the account stay one at a
 * time (the next starts once this answer is complete) and go through the same rate limiter.
 *
 * When another worker takes that job, or the run is stopped, the answer is never used: it is freed
 * `ttlMs` after it came in, or when the worker stops. A prefetch that fails is dropped and its job
 * fetches as usual. The ledger's started_at stays the moment a hand took the job.
 */
import type { Pool } from 'pg';
import type { Logger } from '../logger.ts';
import { disposeWindow, prepareWindow, type PreparedWindow } from '../pipeline/window.ts';
import type { Stream } from '../pipeline/stream.ts';
import { QUEUE_SCHEMA, WINDOW_QUEUE, type WindowJobData } from './boss.ts';

/**
 * How long a prefetched answer (spooled on disk) waits for its job; a job taken later fetches afresh.
 * With many accounts, a hand may take other accounts' months before this one's.
 */
export const PREFETCH_TTL_MS = 5 * 60_000;

// The order pg-boss takes jobs in (index job_i11: priority, then creation time; a run's jobs are
// created together, so they come in the order they were inserted). Only a job a hand may take now:
// not a retry waiting out its backoff.
const NEXT_IN_GROUP = `
  SELECT data FROM ${QUEUE_SCHEMA}.job
  WHERE name = $1 AND group_id = $2 AND state = 'created' AND start_after <= now() AND data->>'runId' = $3
  ORDER BY priority DESC, created_on, start_after
  LIMIT 1`;

/** One per group at most: its next window (once looked up) and the answer being fetched for it. */
interface Entry {
  window: Promise<string | undefined>;
  prepared: Promise<PreparedWindow | undefined>;
  timer?: NodeJS.Timeout;
}

export interface Prefetcher {
  /** After `job`'s answer is in: fetches the run's next waiting window of its group, if there is one. */
  startAfter(job: { groupId?: string | null; data: WindowJobData }, stream: Stream): void;
  /** The answer prefetched for `job`'s window (undefined: none, fetch it); the caller frees it. */
  take(job: { groupId?: string | null; data: WindowJobData }): Promise<PreparedWindow | undefined>;
  /** Waits for prefetches under way and frees every answer not taken. */
  close(): Promise<void>;
}

const windowKey = (data: WindowJobData) => `${data.runId}|${data.source}|${data.account}|${data.stream}|${data.start}|${data.end}`;

export function createPrefetcher(pool: Pool, logger: Logger, streamOf: (data: WindowJobData) => Stream | undefined, ttlMs = PREFETCH_TTL_MS): Prefetcher {
  const byGroup = new Map<string, Entry>();
  let closed = false;

  const free = async (groupId: string, entry: Entry) => {
    if (byGroup.get(groupId) === entry) byGroup.delete(groupId);
    clearTimeout(entry.timer);
    await disposeWindow(await entry.prepared);
  };

  async function fetchNext(groupId: string, runId: number, found: (window: string | undefined) => void): Promise<PreparedWindow | undefined> {
    const { rows } = await pool.query<{ data: WindowJobData }>(NEXT_IN_GROUP, [WINDOW_QUEUE, groupId, String(runId)]);
    const next = rows[0]?.data;
    const stream = next && streamOf(next);
    if (!next || !stream || closed) {
      found(undefined);
      return undefined;
    }
    found(windowKey(next));
    const started = Date.now();
    const identity = { runId: next.runId, source: next.source, account: next.account, stream: next.stream, window: { start: next.start, end: next.end }, startedAt: new Date() };
    const prepared = await prepareWindow(pool, identity, { stream, window: identity.window });
    logger.info({ runId: next.runId, source: next.source, account: next.account, stream: next.stream, window: `${next.start}..${next.end}`, ms: Date.now() - started }, 'next window prefetched while the last one loads');
    return prepared;
  }

  return {
    startAfter(job, stream) {
      const groupId = job.groupId;
      // Only streams that cap their own windows (entrygroups months), one prefetch per group.
      if (closed || !groupId || stream.maxConcurrentWindows === undefined || byGroup.has(groupId)) return;
      let found!: (window: string | undefined) => void;
      const entry: Entry = { window: new Promise((resolve) => (found = resolve)), prepared: Promise.resolve(undefined) };
      byGroup.set(groupId, entry);
      entry.prepared = fetchNext(groupId, job.data.runId, found).catch((error: unknown) => {
        found(undefined);
        logger.warn({ err: error, group: groupId }, 'prefetch failed; its job will fetch the window itself');
        return undefined;
      });
      void entry.prepared.then(async (prepared) => {
        if (byGroup.get(groupId) !== entry) return;
        if (prepared === undefined) return void byGroup.delete(groupId);
        entry.timer = setTimeout(() => void free(groupId, entry), ttlMs);
        entry.timer.unref();
      });
    },

    async take(job) {
      const entry = job.groupId ? byGroup.get(job.groupId) : undefined;
      if (!entry || (await entry.window) !== windowKey(job.data) || byGroup.get(job.groupId!) !== entry) return undefined;
      byGroup.delete(job.groupId!);
      clearTimeout(entry.timer);
      return entry.prepared;
    },

    async close() {
      closed = true;
      await Promise.all([...byGroup].map(([groupId, entry]) => free(groupId, entry)));
    },
  };
}
