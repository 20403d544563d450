/**
 * What `punchcard status` shows: reporting.sync_status, the failed windows still outstanding
 * (punchcard.outstanding_failed_windows) and the last runs. `readStatus` queries; `formatStatus`
 * is pure. The JSON shape (`StatusReport`) is stable: fields are only ever added.
 */
import { printable, scrubSecrets } from '../errors.ts';
import type { Pool } from 'pg';
import type { QueueStatus } from '../queue/stats.ts';

export interface StreamStatus {
  source: string;
  account: string;
  stream: string;
  /** 'succeeded' | 'failed'; null: no window recorded yet (a configured stream never synced). */
  lastOutcome: string | null;
  lastRunId: number | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  /** YYYY-MM-DD */
  freshestSyncedDay: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  outstandingFailedWindows: number;
}

export interface FailedWindow {
  runId: number;
  source: string;
  account: string;
  stream: string;
  windowStart: string;
  windowEnd: string;
  failedAt: string;
  error: string | null;
}

export interface RunRow {
  id: number;
  kind: string;
  status: string;
  sources: string[];
  streams: string[];
  rangeFrom: string;
  rangeTo: string;
  startedAt: string;
  finishedAt: string | null;
  host: string | null;
  pid: number | null;
  windowsSucceeded: number;
  windowsFailed: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  error: string | null;
}

export interface StatusReport {
  generatedAt: string;
  streams: StreamStatus[];
  failedWindows: FailedWindow[];
  /** The last 10 runs, newest first. */
  runs: RunRow[];
  /** The job queue, once a worker or queued run has installed it. */
  queue?: QueueStatus;
}

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

/** `expected`: streams that should appear even before their first window (source, account, stream). */
export async function readStatus(pool: Pool, now: Date, expected: Array<{ source: string; account: string; stream: string }> = []): Promise<StatusReport> {
  const { rows: streamRows } = await pool.query(
    `SELECT source, account, stream, last_outcome, last_run_id::int, last_attempt_at, last_success_at,
            freshest_synced_day::text, last_error, last_error_at, outstanding_failed_windows
     FROM reporting.sync_status ORDER BY source, account, stream`,
  );
  const streams: StreamStatus[] = streamRows.map((r) => ({
    source: r.source,
    account: r.account,
    stream: r.stream,
    lastOutcome: r.last_outcome,
    lastRunId: r.last_run_id,
    lastAttemptAt: iso(r.last_attempt_at),
    lastSuccessAt: iso(r.last_success_at),
    freshestSyncedDay: r.freshest_synced_day,
    lastError: r.last_error === null ? null : scrubSecrets(r.last_error),
    lastErrorAt: iso(r.last_error_at),
    outstandingFailedWindows: r.outstanding_failed_windows,
  }));
  for (const e of expected) {
    if (!streams.some((s) => s.source === e.source && s.account === e.account && s.stream === e.stream)) {
      streams.push({ ...e, lastOutcome: null, lastRunId: null, lastAttemptAt: null, lastSuccessAt: null, freshestSyncedDay: null, lastError: null, lastErrorAt: null, outstandingFailedWindows: 0 });
    }
  }
  streams.sort((a, b) => `${a.source}\0${a.account}\0${a.stream}`.localeCompare(`${b.source}\0${b.account}\0${b.stream}`));

  const { rows: failedRows } = await pool.query(
    `SELECT run_id::int, source, account, stream, window_start::text, window_end::text, failed_at, error
     FROM punchcard.outstanding_failed_windows ORDER BY source, account, stream, window_start, id`,
  );
  const failedWindows: FailedWindow[] = failedRows.map((r) => ({
    runId: r.run_id,
    source: r.source,
    account: r.account,
    stream: r.stream,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    failedAt: r.failed_at.toISOString(),
    error: r.error === null ? null : scrubSecrets(r.error),
  }));

  const { rows: runRows } = await pool.query(
    `SELECT r.id::int, r.kind, r.status, r.sources, r.streams, r.range_from::text, r.range_to::text, r.started_at, r.finished_at,
            r.host, r.pid, r.error,
            count(w.id) FILTER (WHERE w.status = 'succeeded')::int AS windows_succeeded,
            count(w.id) FILTER (WHERE w.status = 'failed')::int AS windows_failed,
            coalesce(sum(w.rows_inserted), 0)::int AS rows_inserted,
            coalesce(sum(w.rows_updated), 0)::int AS rows_updated,
            coalesce(sum(w.rows_deleted), 0)::int AS rows_deleted
     FROM (SELECT * FROM punchcard.sync_runs ORDER BY started_at DESC, id DESC LIMIT 10) r
     LEFT JOIN punchcard.sync_windows w ON w.run_id = r.id
     GROUP BY r.id, r.kind, r.status, r.sources, r.streams, r.range_from, r.range_to, r.started_at, r.finished_at, r.host, r.pid, r.error
     ORDER BY r.started_at DESC, r.id DESC`,
  );
  const runs: RunRow[] = runRows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    sources: r.sources,
    streams: r.streams,
    rangeFrom: r.range_from,
    rangeTo: r.range_to,
    startedAt: r.started_at.toISOString(),
    finishedAt: iso(r.finished_at),
    host: r.host,
    pid: r.pid,
    windowsSucceeded: r.windows_succeeded,
    windowsFailed: r.windows_failed,
    rowsInserted: r.rows_inserted,
    rowsUpdated: r.rows_updated,
    rowsDeleted: r.rows_deleted,
    error: r.error === null ? null : scrubSecrets(r.error),
  }));

  return { generatedAt: now.toISOString(), streams, failedWindows, runs };
}

/** The report as text for a terminal. Pure. */
export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  lines.push('streams:');
  if (report.streams.length === 0) lines.push('  (nothing synced yet)');
  const table = report.streams.map((s) => [
    `${s.source}.${s.stream}`,
    s.account,
    s.lastOutcome ?? 'never synced',
    s.lastSuccessAt === null ? 'last success: never' : `last success: ${s.lastSuccessAt}`,
    `synced through: ${s.freshestSyncedDay ?? '-'}`,
    `failed windows: ${s.outstandingFailedWindows}`,
  ]);
  lines.push(...alignColumns(table).map((line) => `  ${line}`));
  for (const s of report.streams) {
    if (s.lastError !== null && s.outstandingFailedWindows > 0) lines.push(`  ${s.source}.${s.stream} ${s.account} last error (${s.lastErrorAt}): ${oneLine(s.lastError)}`);
  }

  lines.push('', `outstanding failed windows: ${report.failedWindows.length}`);
  for (const f of report.failedWindows) {
    lines.push(`  ${f.source}.${f.stream} ${f.account} ${f.windowStart}..${f.windowEnd} (run ${f.runId}, ${f.failedAt}): ${oneLine(f.error ?? '')}`);
  }
  if (report.failedWindows.length > 0) lines.push('  (enqueue them again with `punchcard retry-failed`)');
  if (report.queue) {
    const q = report.queue;
    const oldest = q.oldestWaitingSeconds === null ? 'none waiting' : `oldest waiting ${Math.round(q.oldestWaitingSeconds)} s`;
    lines.push('', `queue: ${q.waiting} windows waiting (${q.retrying} to retry), ${q.active} in flight, ${q.failed} failed jobs kept; ${oldest}`);
    const live = q.workers.filter((w) => w.live);
    if (live.length === 0) lines.push('  no live worker');
    lines.push(...alignColumns(live.map((w) => [w.name, `${w.inFlight} in flight`, `heartbeat ${w.heartbeatAt}`])).map((line) => `  ${line}`));
  }

  lines.push('', 'last runs:');
  if (report.runs.length === 0) lines.push('  (none)');
  lines.push(
    ...alignColumns(
      report.runs.map((r) => [
        `#${r.id}`,
        r.kind,
        r.status,
        `${r.rangeFrom}..${r.rangeTo}`,
        r.sources.join(','),
        r.startedAt,
        `${r.windowsSucceeded} ok/${r.windowsFailed} failed windows`,
        `+${r.rowsInserted} ~${r.rowsUpdated} -${r.rowsDeleted} rows`,
        r.status === 'skipped' || r.status === 'failed' || r.status === 'partial' ? oneLine(r.error ?? '') : '',
      ]),
    ).map((line) => `  ${line.trimEnd()}`),
  );
  return `${lines.join('\n')}\n`;
}

function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

function oneLine(text: string): string {
  const flat = printable(text.replace(/\s+/g, ' ').trim());
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
