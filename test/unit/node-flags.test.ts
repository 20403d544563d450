/**
 * punchcard's V8 flags and environment (bin/node-flags.mjs) are chosen per command in one place: no
 * place that starts Node on the CLI gives flags of its own, the launcher makes a process started
 * without them run with its command's, and a user's own value (NODE_OPTIONS, the command line, the
 * environment) wins over ours.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandOf, flagsFor, nodeArgs, nodeEnv, RUN_ENV } from '../../bin/node-flags.mjs';

const root = new URL('../../', import.meta.url);
const CLI = fileURLToPath(new URL('bin/punchcard.mjs', root));
const REPORT_EXEC_ARGV = fileURLToPath(new URL('../support/report-exec-argv.mjs', import.meta.url));

/** `node [args] bin/punchcard.mjs [command] --help` with a preload that prints the process's execArgv and pid. */
function helpRun(args: string[], env: NodeJS.ProcessEnv = {}, command: string[] = []): Promise<{ code: number | null; execArgv: string[]; starts: number[]; malloc: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--import', REPORT_EXEC_ARGV, CLI, ...command, '--help'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = [...stderr.matchAll(/^EXEC_ARGV (\d+) (\S*) (.*)$/gm)];
      resolve({
        code,
        execArgv: lines.length > 0 ? (JSON.parse(lines.at(-1)![3]!) as string[]) : [],
        starts: lines.map((line) => Number(line[1])),
        malloc: lines.length > 0 ? (JSON.parse(lines.at(-1)![2]!) as Record<string, string>) : {},
      });
    });
  });
}

describe('V8 flags', () => {
  it('are left to the launcher wherever we start Node on the CLI (package.json scripts, the Dockerfile), which knows the command', () => {
    const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const cliScripts = Object.entries(scripts).filter(([, command]) => command.includes('bin/punchcard.mjs'));
    expect(cliScripts.map(([name]) => name).sort()).toEqual(['demo', 'punchcard', 'start']);
    // A flag given there would win over the command's own (backfill's differ from sync's).
    for (const [name, command] of cliScripts) expect(command, name).toMatch(/^node bin\/punchcard\.mjs\b/);
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint!)).toEqual(['node', 'bin/punchcard.mjs']);
    for (const [name, value] of Object.entries(RUN_ENV)) expect(dockerfile).toMatch(new RegExp(`^ENV ${name}=${value}$`, 'm'));
  });

  it('nodeArgs puts them before the entry point unless the arguments or NODE_OPTIONS already set them', () => {
    expect(nodeArgs(['bin/punchcard.mjs', 'sync'], {})).toEqual([...flagsFor('sync'), 'bin/punchcard.mjs', 'sync']);
    const first = flagsFor(undefined).find((flag) => flag.startsWith('--heap-growing-percent='))!;
    const name = first.split('=')[0]!;
    expect(nodeArgs([`${name}=64`, 'x.mjs'], {})).not.toContain(first);
    expect(nodeArgs(['x.mjs'], { NODE_OPTIONS: `--trace-warnings ${name.replaceAll('-', '_')}=64` })).not.toContain(first);
  });

  it('the launcher runs punchcard with them when Node was started without them, in the same process', async () => {
    const bare = await helpRun([]);
    expect(bare.code).toBe(0);
    for (const flag of flagsFor(undefined)) expect(bare.execArgv).toContain(flag);
    expect(bare.malloc).toEqual(RUN_ENV);
    // Started twice in one process: replaced in place (execve), not a child, so whoever watches the
    // process sees all of it.
    expect(bare.starts).toHaveLength(2);
    expect(new Set(bare.starts).size).toBe(1);

    const all = flagsFor(undefined);
    const given = await helpRun(all, nodeEnv({}));
    expect(given.execArgv.filter((arg) => all.includes(arg))).toEqual(all);
    expect(given.starts).toHaveLength(1); // nothing to add: no exec at all

    // The environment but no flag (the Dockerfile's ENTRYPOINT and ENV): the exec adds the flags.
    const noFlags = await helpRun([], nodeEnv({}));
    expect(noFlags.starts).toHaveLength(2);
    expect(noFlags.execArgv.filter((arg) => all.includes(arg)).sort()).toEqual([...all].sort());
    expect(noFlags.malloc).toEqual(RUN_ENV);
  });

  it('a bulk load (backfill, retry-failed) runs with a bigger young generation and a looser old one than the rest, the nightly sync included', async () => {
    expect(commandOf(['/x/bin/punchcard.mjs', 'backfill', '--from', '2025-01-01'])).toBe('backfill');
    expect(commandOf(['--import', 'a.mjs', '/x/bin/punchcard.mjs', '--verbose', 'sync'])).toBe('sync');
    expect(commandOf(['/x/bin/punchcard.mjs', '--help'])).toBeUndefined();
    const semiSpace = (flags: readonly string[]) => flags.find((flag) => flag.startsWith('--max-semi-space-size='));
    expect(semiSpace(flagsFor('backfill'))).toBe('--max-semi-space-size=8');
    expect(semiSpace(flagsFor('retry-failed'))).toBe('--max-semi-space-size=8');
    for (const command of ['sync', 'worker', 'demo', undefined]) expect(semiSpace(flagsFor(command)), String(command)).toBe('--max-semi-space-size=2');
    const growing = (flags: readonly string[]) => flags.find((flag) => flag.startsWith('--heap-growing-percent='));
    expect(growing(flagsFor('backfill'))).toBe('--heap-growing-percent=100');
    expect(growing(flagsFor('retry-failed'))).toBe('--heap-growing-percent=100');
    for (const command of ['sync', 'worker', 'demo', undefined]) expect(growing(flagsFor(command)), String(command)).toBe('--heap-growing-percent=20');
    expect(nodeArgs(['--import', 'p.mjs', 'bin/punchcard.mjs', 'backfill'], {})).toEqual([...flagsFor('backfill'), '--import', 'p.mjs', 'bin/punchcard.mjs', 'backfill']);
    // The launcher reads the command off its own command line.
    const backfill = await helpRun([], nodeEnv({}), ['backfill']);
    expect(backfill.code).toBe(0);
    expect(backfill.execArgv.sort()).toEqual([...flagsFor('backfill')].sort());
    const sync = await helpRun([], nodeEnv({}), ['sync']);
    expect(sync.execArgv.sort()).toEqual([...flagsFor('sync')].sort());
  });

  it('a user\'s own value wins over ours: on the command line (also a --no-… one) or in NODE_OPTIONS', async () => {
    const theirs = flagsFor(undefined).map((flag) => (flag.includes('=') ? `${flag.split('=')[0]}=7` : flag.replace(/^--/, '--no-')));
    // Values of the user's own (an mmap threshold of a few bytes would make even --help slow).
    const ours = { MALLOC_ARENA_MAX: '8', MALLOC_MMAP_THRESHOLD_: '262144', MALLOC_TRIM_THRESHOLD_: '262144' };
    expect(Object.keys(ours).sort()).toEqual(Object.keys(RUN_ENV).sort());
    const commandLine = await helpRun(theirs, ours);
    expect(commandLine.code).toBe(0);
    expect(commandLine.execArgv).toEqual(theirs);
    expect(commandLine.starts).toHaveLength(1);
    expect(commandLine.malloc).toEqual(ours);

    // NODE_OPTIONS takes only some V8 flags (not --heap-growing-percent): those it holds are not added again.
    const environment = await helpRun([], { NODE_OPTIONS: '--max-semi-space-size=7' });
    expect(environment.code).toBe(0);
    expect(environment.execArgv).toEqual(flagsFor(undefined).filter((flag) => !flag.startsWith('--max-semi-space-size=')));
  });
});
