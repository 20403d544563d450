/**
 * The next month of an account, fetched while this one loads. A clockodo account's entrygroups
 * months run one at a time (a group of cap one), each a fetch (the API's time: seconds for a month's
 * answer) then a load (PostgreSQL's: the month's rows and its raw answer); back to back, every load
 * sits on the run's longest chain. So once a month's answer is in, the hand looks up the job the
 * queue will hand out next in the same group and starts fetching its window beside the load; when a
 * hand of this process then takes that very job, first attempt, it loads what was fetched.
 *
 * Only while this process is the queue's only live worker (`alone`): in a fleet another worker may
 * take that job the moment this month commits and request the month while the prefetch is still
 * reading it, two requests to one account at once. Alone, requests to the account stay one at a
 * time (the next starts once this answer is complete) and go through the same rate limiter.
 *
 * An answer no hand takes (the run stopped, a retry took the job, the queue handed out another job
 * first) is freed `ttlMs` after it came in, when another job of its group is taken instead and its
 * own job is no longer waiting, or when the worker stops. A prefetch that fails is dropped and its
 * job fetches as usual. The ledger's started_at stays the moment a hand took the job.
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

// The job pg-boss hands out next in the group: its fetch's filter (waiting, not blocked, due) and
// order (index job_i11: priority, then creation; a run's jobs are created together and come in the
// order they were inserted). A retry is not prefetched (see take), so it is only passed over here.
const NEXT_IN_GROUP = `
  SELECT id, state, data FROM ${QUEUE_SCHEMA}.job
  WHERE name = $1 AND group_id = $2 AND state < 'active' AND NOT blocked AND start_after <= now()
  ORDER BY priority DESC, created_on, start_after
  LIMIT 1`;

const STILL_WAITING = `SELECT EXISTS (SELECT 1 FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND id = $2 AND state = 'created') AS waiting`;

/** One per group at most: the job it is for (once looked up) and the answer being fetched for it. */
interface Entry {
  jobId: Promise<string | undefined>;
  prepared: Promise<PreparedWindow | undefined>;
  timer?: NodeJS.Timeout;
}

export interface PrefetchJob {
  id: string;
  retryCount: number;
  groupId?: string | null;
}

export interface Prefetcher {
  /** After `job`'s answer is in: fetches the window of the group's next waiting job, if there is one. */
  startAfter(job: PrefetchJob, stream: Stream): void;
  /** The answer prefetched for `job` (undefined: none, fetch it); the caller frees it. */
  take(job: PrefetchJob): Promise<PreparedWindow | undefined>;
  /** Waits for prefetches under way and frees every answer not taken. */
  close(): Promise<void>;
}

export interface PrefetchOptions {
  /** Whether this process is the queue's only live worker now. */
  alone: () => Promise<boolean>;
  ttlMs?: number;
}

export function createPrefetcher(pool: Pool, logger: Logger, streamOf: (data: WindowJobData) => Stream | undefined, options: PrefetchOptions): Prefetcher {
  const ttlMs = options.ttlMs ?? PREFETCH_TTL_MS;
  const byGroup = new Map<string, Entry>();
  let closed = false;

  const free = async (groupId: string, entry: Entry) => {
    if (byGroup.get(groupId) === entry) byGroup.delete(groupId);
    clearTimeout(entry.timer);
    try {
      await disposeWindow(await entry.prepared);
    } catch (error) {
      logger.warn({ err: error, group: groupId }, 'could not remove a prefetched answer');
    }
  };

  async function fetchNext(groupId: string, found: (jobId: string | undefined) => void): Promise<PreparedWindow | undefined> {
    const { rows } = await pool.query<{ id: string; state: string; data: WindowJobData }>(NEXT_IN_GROUP, [WINDOW_QUEUE, groupId]);
    const next = rows[0];
    const stream = next?.state === 'created' ? streamOf(next.data) : undefined;
    if (!next || !stream || closed || !(await options.alone())) {
      found(undefined);
      return undefined;
    }
    found(next.id);
    const data = next.data;
    const started = Date.now();
    const identity = { runId: data.runId, source: data.source, account: data.account, stream: data.stream, window: { start: data.start, end: data.end }, startedAt: new Date() };
    const prepared = await prepareWindow(pool, identity, { stream, window: identity.window });
    logger.info({ runId: data.runId, source: data.source, account: data.account, stream: data.stream, window: `${data.start}..${data.end}`, ms: Date.now() - started }, 'next window prefetched while the last one loads');
    return prepared;
  }

  return {
    startAfter(job, stream) {
      const groupId = job.groupId;
      // Only streams that cap their own windows (entrygroups months), one prefetch per group.
      if (closed || !groupId || stream.maxConcurrentWindows === undefined || byGroup.has(groupId)) return;
      let found!: (jobId: string | undefined) => void;
      const entry: Entry = { jobId: new Promise((resolve) => (found = resolve)), prepared: Promise.resolve(undefined) };
      byGroup.set(groupId, entry);
      entry.prepared = fetchNext(groupId, found).catch((error: unknown) => {
        found(undefined);
        logger.warn({ err: error, group: groupId }, 'prefetch failed; its job will fetch the window itself');
        return undefined;
      });
      void entry.prepared.then((prepared) => {
        if (byGroup.get(groupId) !== entry) return;
        if (prepared === undefined) return void byGroup.delete(groupId);
        entry.timer = setTimeout(() => void free(groupId, entry), ttlMs);
        entry.timer.unref();
      });
    },

    async take(job) {
      const groupId = job.groupId;
      const entry = groupId ? byGroup.get(groupId) : undefined;
      if (!groupId || !entry) return undefined;
      const jobId = await entry.jobId;
      if (byGroup.get(groupId) !== entry) return undefined;
      if (jobId === job.id && job.retryCount === 0) {
        byGroup.delete(groupId);
        clearTimeout(entry.timer);
        return entry.prepared;
      }
      // Another job of the group came first. Its own job taken elsewhere (or by a retry, which
      // fetches afresh), the answer will never be used: free it now, so the group prefetches again.
      const taken = jobId === job.id || (jobId !== undefined && !(await pool.query<{ waiting: boolean }>(STILL_WAITING, [WINDOW_QUEUE, jobId])).rows[0]!.waiting);
      if (taken && byGroup.get(groupId) === entry) void free(groupId, entry);
      return undefined;
    },

    async close() {
      closed = true;
      await Promise.all([...byGroup].map(([groupId, entry]) => free(groupId, entry)));
    },
  };
}
