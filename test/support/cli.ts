/** Runs the real `punchcard` CLI as a child process, the way a user or cron would. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeArgs, nodeEnv } from '../../bin/node-flags.mjs';
import { DEFAULT_API_USERS } from '../../src/simulators/clockodo/index.ts';
import { usageOf } from '../../bench/usage.ts';

export const CLI = fileURLToPath(new URL('../../bin/punchcard.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for a CLI run: nothing inherited that could point at a real API or database. */
export function cliEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', LOG_LEVEL: 'warn', HTTP_TIMEOUT_MS: '5000' };
  return Object.fromEntries(Object.entries({ ...base, ...overrides }).filter(([, v]) => v !== undefined));
}

/**
 * Starts the CLI with the V8 flags of its command (bin/node-flags.mjs) on Node's command line and
 * its environment variables set, as the bench does, so the launcher has nothing to add and does not
 * re-execute itself. `preload` modules are loaded first (--import), e.g. a peak-RSS reporter.
 */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, options: { preload?: string[]; stdio?: StdioOptions } = {}): ChildProcess {
  const preload = (options.preload ?? []).flatMap((module) => ['--import', module]);
  return spawn(process.execPath, nodeArgs([...preload, CLI, ...args], env), { env: nodeEnv(env), stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'] });
}

/** A child's stdout and stderr once it has closed; SIGKILLed after `timeoutMs`. */
export function outputOf(child: ChildProcess, timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The CLI's environment against a clockodo simulator, as its admin API user, unthrottled. */
export function clockodoSimulatorEnv(clockodoUrl: string, databaseUrl: string): NodeJS.ProcessEnv {
  const admin = DEFAULT_API_USERS[0]!;
  return cliEnv({
    DATABASE_URL: databaseUrl,
    CLOCKODO_API_URL: clockodoUrl,
    CLOCKODO_API_USER: admin.email,
    CLOCKODO_API_KEY: admin.apiKey,
    CLOCKODO_EXTERNAL_APPLICATION: 'punchcard-tests;ops@example.com',
    CLOCKODO_ENTRYGROUPS_PER_MINUTE: '6000',
  });
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  const result = outputOf(child, options.timeoutMs);
  child.stdin!.end(options.input ?? '');
  return result;
}

const PEAK_RSS_PRELOAD = fileURLToPath(new URL('../../bench/peak-rss.mjs', import.meta.url));

/** The real CLI with its peak RSS as the process itself reports it at exit (bench/peak-rss.mjs). */
export async function runCliMeasured(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<CliResult & { peakRssMb: number }> {
  const child = spawnCli(args, env, { preload: [PEAK_RSS_PRELOAD], stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await outputOf(child, timeoutMs);
  return { ...result, peakRssMb: usageOf(result.stderr)?.peakRssMb ?? Number.NaN };
}
