/**
 * The worker's HTTP endpoints: `/healthz` (200 when the database answers, else 503) and `/metrics`
 * in the Prometheus text format.
 *
 * The counters are read from the runs ledger on every scrape, not counted in this process: they
 * survive restarts, agree across hosts syncing one warehouse, and include backfills and manual
 * syncs. Only `punchcard_sync_in_progress` is this process's own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import type { PgBoss } from 'pg-boss';
import { formatQueueMetrics, readQueueStatus } from '../queue/stats.ts';
import type { Logger } from '../logger.ts';

export interface LedgerMetrics {
  lastSuccess: Array<{ source: string; stream: string; seconds: number }>;
  rowsLoaded: Array<{ source: string; stream: string; kind: string; rows: number }>;
  windowErrors: Array<{ source: string; stream: string; count: number }>;
  runs: Array<{ status: string; count: number }>;
}

export const ROW_KINDS = ['inserted', 'updated', 'deleted', 'rejected'] as const;

export async function readLedgerMetrics(pool: Pool): Promise<LedgerMetrics> {
  const { rows: streams } = await pool.query(
    `SELECT source, stream,
            extract(epoch FROM max(finished_at) FILTER (WHERE status = 'succeeded'))::float8 AS last_success,
            sum(rows_inserted)::float8 AS inserted, sum(rows_updated)::float8 AS updated,
            sum(rows_deleted)::float8 AS deleted, sum(rows_rejected)::float8 AS rejected,
            count(*) FILTER (WHERE status = 'failed')::float8 AS failed
     FROM punchcard.sync_windows GROUP BY source, stream ORDER BY source, stream`,
  );
  const { rows: runs } = await pool.query(
    `SELECT status, count(*)::float8 AS count FROM punchcard.sync_runs WHERE status <> 'running' GROUP BY status ORDER BY status`,
  );
  return {
    lastSuccess: streams.filter((r) => r.last_success !== null).map((r) => ({ source: r.source, stream: r.stream, seconds: r.last_success })),
    rowsLoaded: streams.flatMap((r) => ROW_KINDS.map((kind) => ({ source: r.source, stream: r.stream, kind, rows: r[kind] }))),
    windowErrors: streams.map((r) => ({ source: r.source, stream: r.stream, count: r.failed })),
    runs: runs.map((r) => ({ status: r.status, count: r.count })),
  };
}

/** Prometheus text exposition format 0.0.4. Pure. */
export function formatMetrics(metrics: LedgerMetrics, local: { syncInProgress: boolean }): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, samples: Array<[Record<string, string>, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  };
  family(
    'punchcard_last_success_timestamp_seconds',
    'gauge',
    'When a window of the stream last loaded successfully (Unix time, from the runs ledger).',
    metrics.lastSuccess.map((m) => [{ source: m.source, stream: m.stream }, m.seconds]),
  );
  family(
    'punchcard_rows_loaded_total',
    'counter',
    'Rows written by committed windows, by kind (inserted, updated, deleted = marked deleted, rejected), from the runs ledger.',
    metrics.rowsLoaded.map((m) => [{ source: m.source, stream: m.stream, kind: m.kind }, m.rows]),
  );
  family(
    'punchcard_window_errors_total',
    'counter',
    'Windows that failed (fetch, transform or load), from the runs ledger.',
    metrics.windowErrors.map((m) => [{ source: m.source, stream: m.stream }, m.count]),
  );
  family(
    'punchcard_runs_total',
    'counter',
    'Finished runs (sync and backfill) by status, from the runs ledger.',
    metrics.runs.map((m) => [{ status: m.status }, m.count]),
  );
  family('punchcard_sync_in_progress', 'gauge', 'Whether this worker process is running a sync now.', [[{}, local.syncInProgress ? 1 : 0]]);
  return `${out.join('\n')}\n`;
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function formatValue(value: number): string {
  return Number.isFinite(value) ? String(value) : 'NaN';
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export interface OpsServerOptions {
  pool: Pool;
  port: number;
  logger: Logger;
  /** Host to listen on. Default all interfaces (the port is scraped from outside a container). */
  host?: string;
  syncInProgress: () => boolean;
  /** The fleet's queue: its depth, jobs in flight per worker, failed jobs, oldest waiting job. */
  boss?: PgBoss;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { pool, logger } = options;
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
          reply(200, formatMetrics(metrics, { syncInProgress: options.syncInProgress() }) + (queue ? formatQueueMetrics(queue) : ''), 'text/plain; version=0.0.4; charset=utf-8'),
        )
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
