/**
 * The worker's HTTP endpoints: `/healthz` (200 when the database answers, else 503) and `/metrics`
 * in the Prometheus text format, written by prom-client.
 *
 * The ledger counters are read from the runs ledger on every scrape, not counted in this process:
 * they survive restarts, agree across hosts syncing one warehouse, and include backfills and
 * manual syncs. `punchcard_sync_in_progress` and prom-client's default process metrics (RSS, heap,
 * event-loop lag, GC) are this process's own. docs/prometheus-alerts.yml alerts on these names.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import type { PgBoss } from 'pg-boss';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { readQueueStatus, type QueueStatus } from '../queue/stats.ts';
import type { Logger } from '../logger.ts';

export interface LedgerMetrics {
  lastSuccess: Array<{ source: string; stream: string; seconds: number }>;
  rowsLoaded: Array<{ source: string; stream: string; kind: string; rows: number }>;
  windowErrors: Array<{ source: string; stream: string; count: number }>;
  failedOutstanding: Array<{ source: string; stream: string; count: number }>;
  runs: Array<{ status: string; count: number }>;
}

export const ROW_KINDS = ['inserted', 'updated', 'deleted', 'rejected'] as const;

export async function readLedgerMetrics(pool: Pool): Promise<LedgerMetrics> {
  const { rows: streams } = await pool.query(
    `SELECT w.source, w.stream,
            extract(epoch FROM max(w.finished_at) FILTER (WHERE w.status = 'succeeded'))::float8 AS last_success,
            sum(w.rows_inserted)::float8 AS inserted, sum(w.rows_updated)::float8 AS updated,
            sum(w.rows_deleted)::float8 AS deleted, sum(w.rows_rejected)::float8 AS rejected,
            count(*) FILTER (WHERE w.status = 'failed')::float8 AS failed,
            coalesce(max(o.outstanding), 0)::float8 AS outstanding
     FROM punchcard.sync_windows w
     LEFT JOIN (SELECT source, stream, count(*) AS outstanding FROM punchcard.outstanding_failed_windows GROUP BY source, stream) o
       ON o.source = w.source AND o.stream = w.stream
     GROUP BY w.source, w.stream ORDER BY w.source, w.stream`,
  );
  const { rows: runs } = await pool.query(
    `SELECT status, count(*)::float8 AS count FROM punchcard.sync_runs WHERE status <> 'running' GROUP BY status ORDER BY status`,
  );
  return {
    lastSuccess: streams.filter((r) => r.last_success !== null).map((r) => ({ source: r.source, stream: r.stream, seconds: r.last_success })),
    rowsLoaded: streams.flatMap((r) => ROW_KINDS.map((kind) => ({ source: r.source, stream: r.stream, kind, rows: r[kind] }))),
    windowErrors: streams.map((r) => ({ source: r.source, stream: r.stream, count: r.failed })),
    failedOutstanding: streams.map((r) => ({ source: r.source, stream: r.stream, count: r.outstanding })),
    runs: runs.map((r) => ({ status: r.status, count: r.count })),
  };
}

type Samples = Array<[Record<string, string>, number]>;

/** Adds one metric family with its samples to `registry`; the values are readings, not increments. */
function addFamily(registry: Registry) {
  return (type: 'gauge' | 'counter', name: string, help: string, labelNames: string[], samples: Samples): void => {
    const registers = [registry];
    if (type === 'gauge') {
      const gauge = new Gauge({ name, help, labelNames, registers });
      for (const [labels, value] of samples) gauge.set(labels, value);
    } else {
      // A counter's value here is the ledger's total, not an increment of this process.
      const counter = new Counter({ name, help, labelNames, registers });
      for (const [labels, value] of samples) counter.inc(labels, value);
    }
  };
}

/**
 * The ledger's figures as prom-client metrics in a registry of their own, built per scrape: the
 * values are absolute readings of the ledger, and a fresh registry keeps two concurrent scrapes
 * from resetting each other's series.
 */
export function ledgerRegistry(metrics: LedgerMetrics, local: { syncInProgress: boolean }): Registry {
  const registry = new Registry();
  const family = addFamily(registry);
  const perStream = ['source', 'stream'];
  family(
    'gauge',
    'punchcard_last_success_timestamp_seconds',
    'When a window of the stream last loaded successfully (Unix time, from the runs ledger).',
    perStream,
    metrics.lastSuccess.map((m) => [{ source: m.source, stream: m.stream }, m.seconds]),
  );
  family(
    'counter',
    'punchcard_rows_loaded_total',
    'Rows written by committed windows, by kind (inserted, updated, deleted = marked deleted, rejected), from the runs ledger.',
    [...perStream, 'kind'],
    metrics.rowsLoaded.map((m) => [{ source: m.source, stream: m.stream, kind: m.kind }, m.rows]),
  );
  family(
    'counter',
    'punchcard_window_errors_total',
    'Windows that failed (fetch, transform or load), from the runs ledger.',
    perStream,
    metrics.windowErrors.map((m) => [{ source: m.source, stream: m.stream }, m.count]),
  );
  family(
    'gauge',
    'punchcard_failed_windows_outstanding',
    'Failed windows with a day no later window has loaded again (punchcard.outstanding_failed_windows).',
    perStream,
    metrics.failedOutstanding.map((m) => [{ source: m.source, stream: m.stream }, m.count]),
  );
  family(
    'counter',
    'punchcard_runs_total',
    'Finished runs (sync and backfill) by status, from the runs ledger.',
    ['status'],
    metrics.runs.map((m) => [{ status: m.status }, m.count]),
  );
  family('gauge', 'punchcard_sync_in_progress', 'Whether this worker process is running a sync now.', [], [[{}, local.syncInProgress ? 1 : 0]]);
  return registry;
}

/** The fleet's queue (pg-boss): jobs by state, the oldest waiting, jobs in flight per live worker. */
export function queueRegistry(status: QueueStatus): Registry {
  const registry = new Registry();
  const family = addFamily(registry);
  family('gauge', 'punchcard_queue_jobs', 'Window jobs on the queue by state (waiting includes retrying).', ['state'], [
    [{ state: 'waiting' }, status.waiting],
    [{ state: 'retrying' }, status.retrying],
    [{ state: 'active' }, status.active],
    [{ state: 'failed' }, status.failed],
  ]);
  family('gauge', 'punchcard_queue_oldest_waiting_seconds', 'Age of the oldest waiting window job (0 when none waits).', [], [
    [{}, status.oldestWaitingSeconds ?? 0],
  ]);
  family(
    'gauge',
    'punchcard_queue_worker_jobs_in_flight',
    'Window jobs each live queue instance held at its last heartbeat.',
    ['worker'],
    status.workers.filter((w) => w.live).map((w) => [{ worker: w.name }, w.inFlight]),
  );
  return registry;
}

/** prom-client's default metrics of this process (process_*, nodejs_*), sampled from now on. */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export interface OpsServerOptions {
  pool: Pool;
  port: number;
  logger: Logger;
  /** Address to listen on (PUNCHCARD_METRICS_HOST): 127.0.0.1 unless widened on purpose. */
  host: string;
  syncInProgress: () => boolean;
  /** The fleet's queue: its depth, jobs in flight per worker, failed jobs, oldest waiting job. */
  boss?: PgBoss;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { pool, logger } = options;
  const processMetrics = processRegistry();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') {
      pool
        .query('SELECT 1')
        .then(() => reply(200, 'ok\n'))
        .catch((error: Error) => {
          logger.warn({ err: error }, 'healthz: the database does not answer');
          reply(503, 'database unreachable\n');
        });
      return;
    }
    if (path === '/metrics') {
      Promise.all([readLedgerMetrics(pool), options.boss ? readQueueStatus(options.boss, pool) : undefined])
        .then(([metrics, queue]) =>
          Registry.merge([
            ledgerRegistry(metrics, { syncInProgress: options.syncInProgress() }),
            ...(queue ? [queueRegistry(queue)] : []),
            processMetrics,
          ]).metrics(),
        )
        .then((text) => reply(200, text, processMetrics.contentType))
        .catch((error: Error) => {
          logger.warn({ err: error }, 'metrics: reading the runs ledger failed');
          reply(503, 'runs ledger unreadable\n');
        });
      return;
    }
    reply(404, 'not found (try /healthz or /metrics)\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
