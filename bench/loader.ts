/**
 * Loader benchmark: a large generated batch of punchcard.tc_sessions rows (the widest table: 17
 * value columns including text[] and jsonb, a 4-column key) loaded through `mergeTable` in one
 * window transaction — new rows, every row changed, nothing changed — each beside a raw COPY of the
 * same rows into the same empty table, measured in the same run. Every figure is the median of
 * `repeats` rounds; each round starts from an empty table.
 *
 * "Rows written" of the unchanged load is counted exactly: the rows of tc_sessions whose xmin is
 * the unchanged load's transaction (an UPDATE that rewrote an identical row would show up there).
 */
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../src/db/client.ts';
import { copyRows, mergeTable } from '../src/load/merge.ts';
import { tcSessions } from '../src/load/tables.ts';
import type { WindowScope } from '../src/load/table-spec.ts';

export interface LoaderOptions {
  rows: number;
  repeats: number;
  log: (message: string) => void;
}

export interface PhaseFigure {
  /** Median rows per second. */
  rowsPerSecond: number;
  /** Median wall time in ms. */
  ms: number;
  /** Every round's ms, in order. */
  rounds: number[];
}

export interface LoaderResult {
  rows: number;
  repeats: number;
  rawCopy: PhaseFigure;
  newRows: PhaseFigure & { ratioToCopy: number };
  changedRows: PhaseFigure & { ratioToCopy: number };
  unchangedRows: PhaseFigure & { ratioToCopy: number; rowsWritten: number };
  /** What mergeTable reported in the last round. */
  counts: { new: Counts; changed: Counts; unchanged: Counts };
}

interface Counts {
  inserted: number;
  updated: number;
  deleted: number;
}

const ACCOUNT = 'bench';
const SPEC = tcSessions('sessions');
const ZONES = ['Asia/Jerusalem', 'Europe/Berlin', 'America/New_York', 'Europe/London'];
const SOURCES = ['web', 'phone', 'kiosk'];
const LOCATIONS = ['office', 'home', 'field'];

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Deterministic session rows shaped like the `sessions` transform's output. */
export function generateSessionRows(count: number, variant = 0): { rows: Record<string, unknown>[]; window: WindowScope } {
  const employees = Math.max(1, Math.min(1000, Math.ceil(count / 200)));
  const days = Math.ceil(count / employees);
  const first = Date.UTC(2025, 0, 1);
  const rows: Record<string, unknown>[] = [];
  let lastDate = '';
  for (let d = 0; d < days && rows.length < count; d++) {
    const day = new Date(first + d * 86_400_000);
    const date = `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}`;
    lastDate = date;
    for (let e = 0; e < employees && rows.length < count; e++) {
      const employee = 1001 + e;
      const zone = ZONES[e % ZONES.length]!;
      const startHour = 7 + (e % 3);
      const startMinute = (e * 7 + d) % 60;
      const endHour = startHour + 8;
      const start = `${date} ${pad(startHour)}:${pad(startMinute)}:00`;
      const end = `${date} ${pad(endHour)}:${pad(startMinute)}:${pad(variant % 60)}`;
      const offset = e % ZONES.length === 0 ? 2 : e % ZONES.length === 1 ? 1 : e % ZONES.length === 2 ? -5 : 0;
      const startUtc = `${date}T${pad(startHour - offset)}:${pad(startMinute)}:00Z`;
      const endUtc = `${date}T${pad(endHour - offset)}:${pad(startMinute)}:${pad(variant % 60)}Z`;
      const startSource = SOURCES[(e + d) % 3]!;
      const endSource = SOURCES[(e + 2 * d) % 3]!;
      const location = LOCATIONS[(e * 3 + d) % 3]!;
      rows.push({
        account: ACCOUNT,
        method: 'sessions',
        employee_number: employee,
        start_local: start.replace(' ', 'T'),
        end_local: end.replace(' ', 'T'),
        timezone: zone,
        start_utc: startUtc,
        end_utc: endUtc,
        work_date: date,
        duration_seconds: 8 * 3600 + (variant % 60),
        location_type: location,
        start_source_type: startSource,
        end_source_type: endSource,
        reported_duration_seconds: null,
        start_sent_at_local: null,
        end_sent_at_local: null,
        start_note: null,
        end_note: null,
        flags: e % 50 === 0 ? ['outside_requested_window'] : [],
        raw: { startDate: start, endDate: end, timezone: zone, locationType: location, startSourceType: startSource, endSourceType: endSource },
      });
    }
  }
  return { rows, window: { account: ACCOUNT, start: '2025-01-01', end: lastDate } };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function figure(rows: number, rounds: number[]): PhaseFigure {
  const ms = median(rounds);
  return { rowsPerSecond: Math.round(rows / (ms / 1000)), ms: Math.round(ms), rounds: rounds.map((r) => Math.round(r)) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

async function currentXid(client: PoolClient): Promise<string> {
  const { rows } = await client.query<{ xid: string }>(`SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text AS xid`);
  return rows[0]!.xid;
}

export async function benchLoader(pool: Pool, options: LoaderOptions): Promise<LoaderResult> {
  const { rows: count, repeats, log } = options;
  const original = generateSessionRows(count, 0);
  const changed = generateSessionRows(count, 1);
  const rows = original.rows.length;
  const window = original.window;
  log(`loader: ${rows} tc_sessions rows, ${repeats} rounds`);

  const copyMs: number[] = [];
  const newMs: number[] = [];
  const changedMs: number[] = [];
  const unchangedMs: number[] = [];
  let written = 0;
  let counts: LoaderResult['counts'] | undefined;

  for (let round = 0; round < repeats; round++) {
    await pool.query('TRUNCATE punchcard.tc_sessions');
    await pool.query('CHECKPOINT').catch(() => undefined); // a checkpoint in the middle of one phase would skew it
    const copy = await timed(() => inTransaction(pool, (client) => copyRows(client, 'punchcard.tc_sessions', SPEC, original.rows)));
    copyMs.push(copy.ms);

    await pool.query('TRUNCATE punchcard.tc_sessions');
    await pool.query('CHECKPOINT').catch(() => undefined);
    const inserted = await timed(() => inTransaction(pool, (client) => mergeTable(client, SPEC, original.rows, window)));
    newMs.push(inserted.ms);
    await pool.query('VACUUM ANALYZE punchcard.tc_sessions'); // as autovacuum would after a large insert

    const updated = await timed(() => inTransaction(pool, (client) => mergeTable(client, SPEC, changed.rows, window)));
    changedMs.push(updated.ms);
    await pool.query('VACUUM ANALYZE punchcard.tc_sessions');

    let xid = '';
    const unchanged = await timed(() =>
      inTransaction(pool, async (client) => {
        const result = await mergeTable(client, SPEC, changed.rows, window);
        xid = await currentXid(client);
        return result;
      }),
    );
    unchangedMs.push(unchanged.ms);
    const { rows: check } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM punchcard.tc_sessions WHERE xmin::text = $1`, [xid]);
    written += check[0]!.n;
    counts = { new: inserted.value, changed: updated.value, unchanged: unchanged.value };
    log(
      `  round ${round + 1}: copy ${Math.round(copy.ms)} ms, new ${Math.round(inserted.ms)} ms, changed ${Math.round(updated.ms)} ms, ` +
        `unchanged ${Math.round(unchanged.ms)} ms (${check[0]!.n} rows written)`,
    );
  }
  await pool.query('TRUNCATE punchcard.tc_sessions');

  const rawCopy = figure(rows, copyMs);
  const withRatio = (f: PhaseFigure) => ({ ...f, ratioToCopy: round2(f.rowsPerSecond / rawCopy.rowsPerSecond) });
  return {
    rows,
    repeats,
    rawCopy,
    newRows: withRatio(figure(rows, newMs)),
    changedRows: withRatio(figure(rows, changedMs)),
    unchangedRows: { ...withRatio(figure(rows, unchangedMs)), rowsWritten: written },
    counts: counts!,
  };
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
