/** A fleet in a test: N accounts per source on the simulators, an accounts file, worker processes. */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { cliEnv, spawnCli } from './cli.ts';

export interface FleetAccounts {
  file: string;
  env: Record<string, string>;
  timeclockTokens: string[];
  clockodoUsers: Array<{ email: string; apiKey: string; revenueRights: boolean }>;
}

/**
 * `n` TimeClock and `n` clockodo accounts, credentials by environment variable. Labels default to
 * tenant-<i>; a URL given as a list is per account (one simulator per account, its own data).
 */
export function fleetAccounts(
  n: number,
  urls: { timeclock: string | string[]; clockodo: string | string[] },
  extra: { windowDays?: number; perSpan?: number; spanSeconds?: number; labels?: string[] } = {},
): FleetAccounts {
  const urlOf = (url: string | string[], i: number) => (Array.isArray(url) ? url[i]! : url);
  const dir = mkdtempSync(join(tmpdir(), 'punchcard-fleet-'));
  const env: Record<string, string> = {};
  const accounts: unknown[] = [];
  const timeclockTokens: string[] = [];
  const clockodoUsers: FleetAccounts['clockodoUsers'] = [];
  for (let i = 0; i < n; i++) {
    const token = `fleet-tc-token-${i}`;
    timeclockTokens.push(token);
    env[`TC_TOKEN_${i}`] = token;
    const label = extra.labels?.[i] ?? `tenant-${i}`;
    accounts.push({ source: 'timeclock', account: label, url: urlOf(urls.timeclock, i), token: { env: `TC_TOKEN_${i}` }, timezone: 'Asia/Jerusalem', ...(extra.windowDays ? { windowDays: extra.windowDays } : {}) });
    const user = { email: `api-${i}@fleet.test`, apiKey: `fleet-ck-key-${i}`, revenueRights: true };
    clockodoUsers.push(user);
    env[`CK_KEY_${i}`] = user.apiKey;
    accounts.push({
      source: 'clockodo',
      account: label,
      url: urlOf(urls.clockodo, i),
      user: user.email,
      key: { env: `CK_KEY_${i}` },
      timezone: 'Europe/Berlin',
      ...(extra.perSpan ? { entrygroupsPerMinute: extra.perSpan } : {}),
      ...(extra.spanSeconds ? { entrygroupsSpanSeconds: extra.spanSeconds } : {}),
    });
  }
  const file = join(dir, 'accounts.json');
  writeFileSync(file, JSON.stringify({ accounts }, null, 2));
  chmodSync(file, 0o600);
  return { file, env, timeclockTokens, clockodoUsers };
}

export interface WorkerProcess {
  child: ChildProcess;
  logs(): Array<Record<string, unknown>>;
  /** Resolves once a log line satisfies `match`. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export function startWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const child = spawnCli(['worker'], cliEnv({ PUNCHCARD_METRICS_PORT: '0', ...env, LOG_LEVEL: 'info' }), { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of waiters.splice(0)) waiter();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const logs = () =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    child,
    logs,
    waitFor(match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs().find(match);
          if (found) return resolve(found);
          if (Date.now() > deadline || child.exitCode !== null) return reject(new Error(`worker ${child.pid}: no matching log line (exit ${child.exitCode})\n${text.slice(-3000)}`));
          waiters.push(check);
          setTimeout(check, 250);
        };
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits until the run is settled (no longer 'running'); its status. */
export async function waitForRun(pool: Pool, runId: number, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM punchcard.sync_runs WHERE id = $1', [runId]);
    if (rows[0] && rows[0].status !== 'running') return rows[0].status;
    if (Date.now() > deadline) throw new Error(`run ${runId} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Ledger rows per window of a run: [window key, succeeded rows, failed rows]. */
export async function ledgerCounts(pool: Pool, runId: number): Promise<Array<{ key: string; succeeded: number; failed: number }>> {
  const { rows } = await pool.query<{ key: string; succeeded: number; failed: number }>(
    `SELECT source || '|' || account || '|' || stream || '|' || window_start || '|' || window_end AS key,
            count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'failed')::int AS failed
     FROM punchcard.sync_windows WHERE run_id = $1 GROUP BY 1 ORDER BY 1`,
    [runId],
  );
  return rows;
}
