// The V8 flags punchcard runs with, in one place, per command. Read by the launcher
// (bin/punchcard.mjs), which execs itself with them, and by bench/run.ts and bench/fleet.ts for the
// processes they start. package.json's scripts and the Dockerfile's ENTRYPOINT give none (checked by
// test/unit/node-flags.test.ts): a flag given on the command line wins over ours, so one given there
// would be the same for every command.
//
// Chosen by measurement (README "Memory: V8 flags and the nightly sync's heap"; bench/semi-space.ts).
// The live heap of the nightly sync is ~50 MB, half of it code; the peak RSS (~290 MB with
// Node's defaults) was garbage V8 let pile up:
// - --max-semi-space-size=2 (8 for the bulk loads: BULK_LOAD_FLAGS below): the young generation (two semi-spaces) otherwise grows to 16-32 MB
//   each on 64-bit, so a window's short-lived objects (parsed answers, rows, COPY text) sit in up
//   to ~100 MB between scavenges. 1-8 MB all do about as well; the default is what costs. It costs
//   no CPU time measurably (62-day backfill: 37 CPU-s against 39 with the default).
// - --heap-growing-percent=20 (100 for the bulk loads: BULK_LOAD_FLAGS below): V8 lets the old
//   generation grow only 20 % past what the last full collection kept before collecting again
//   (62-day backfill of 1,000 employees: 242-266 MB against 348-384 MB without it, for ~15 % more
//   CPU time, measured before answers were read member by member).
// - Not --optimize-for-size, used until 2026-12-02: ~20-30 MB less again, but it doubled the CPU
//   time of a backfill (62 days: 74-96 CPU-s against 38-46), which the bench's end-to-end figures
//   showed as a 2.4x slower parse.
// The old generation is not capped: a cap turns a large answer into a crash instead of a slow run.
// Only some V8 flags are allowed in NODE_OPTIONS (not --heap-growing-percent): a user who wants
// other values gives them on the command line (`node --heap-growing-percent=50 bin/punchcard.mjs …`).
//
// MALLOC_ARENA_MAX=2 (RUN_ENV): glibc gives each thread that allocates (libuv's pool writes the spool
// files, hashes, reads) an arena of its own and keeps what those free: 2 arenas took the 62-day
// backfill from 242 to 212 MB and the nightly sync from ~200 to ~193 MB. An environment variable
// must be set before the process starts, so the launcher execs itself with it too when missing.
//
// MALLOC_MMAP_THRESHOLD_=131072 and MALLOC_TRIM_THRESHOLD_=131072 (RUN_ENV): glibc's starting values,
// fixed. Left alone, glibc raises the mmap threshold to the size of each large block freed (up to
// 32 MB) and its trim threshold to twice that (mallopt(3)), so large Buffers can come from the arena
// and what they leave free stay in the process. Seen: a year's backfill crept from ~175 to ~190 MB
// while V8's heap stayed at 35-60 MB and Buffers at 15-30 MB (process.memoryUsage every 50 ms); in a
// 62-day backfill /proc/pid/smaps put 35-49 MB in glibc's two arenas. Fixed (2026-12-02, by hand,
// one run each): the year's backfill 206 -> 185-191 MB peak and 184 -> 148-155 MB mean, 90 days 194 ->
// 175-181 MB, the nightly sync 144-156 -> 138-148 MB (three each, interleaved), CPU time alike.
import v8 from 'node:v8';

/** The commands that load in bulk (a backfill, failed windows again); every other command is sized for the nightly sync. */
const BULK_LOADS = new Set(['backfill', 'retry-failed']);

/**
 * The heap of a bulk load and of everything else (the nightly sync, and the worker, which also runs
 * it: 150 MB target).
 *
 * Old generation (--heap-growing-percent, above): 100 for the bulk loads, 20 for the rest. Side by
 * side (bench/semi-space.ts, 2026-12-03, 1,000 employees, both sources, interleaved), a year's
 * backfill took 74.8 and 78.4 CPU-s at 215 and 207 MB against 86.2 and 89.3 CPU-s at 218 and 210 MB
 * with 20 (wall 112-116 s against 124-127 s); 90 days 17.1-18.2 CPU-s at 177-198 MB against
 * 20.1-21.3 at 171-199 MB. (On 2026-12-02, before the bulk loads' flags could differ from the rest,
 * 62 days had cost ~25 MB more at 100.)
 *
 * Young generation (--max-semi-space-size, MB per semi-space): 8 for the bulk loads, 2 for the
 * rest. With every answer read member by member (2026-12-02), a bigger young generation no longer
 * holds data, only garbage: side by side, a 62-day backfill of 1,000 employees took 16.2-17.2 CPU-s
 * and 25 s at 4, 13.6-14.9 CPU-s and 23 s at 8, against 17.6-21.0 CPU-s and 30 s at 2, all at
 * 166-191 MB; but the year's backfill peaked at 224-230 MB at 8 against 191-198 MB at 2 (bench, 250
 * MB target), and the nightly sync went from a median of 148 MB to 152 at 4 and 161 at 8 (150 MB
 * target). So the bulk loads got 4 and everything else keeps 2. Since raw answers are kept as the
 * bytes that came (2026-12-02), the year's backfill peaks alike at 4 and 8 — side by side, two
 * samples each: 228, 221 MB at 4 and 230, 213 MB at 8 — and takes 92.8 and 99.5 CPU-s at 8 against
 * 111.9 and 106.8 at 4 (wall 160-167 s against 171-184 s): the bulk loads now get 8. 16 instead of 8
 * (2026-12-03, a year, two samples each): 65.1, 64.0 CPU-s at 216, 215 MB against 66.0, 70.5 at 212,
 * 206 MB, inside the noise: not taken.
 */
const BULK_LOAD_FLAGS = Object.freeze(['--heap-growing-percent=100', '--max-semi-space-size=8']);
const OTHER_FLAGS = Object.freeze(['--heap-growing-percent=20', '--max-semi-space-size=2']);

/** The punchcard command in `args` (…, the entry script, then its arguments): the first word after the script that is not an option. */
export function commandOf(args) {
  const script = args.findIndex((arg) => /punchcard\.(mjs|ts)$/.test(arg));
  return script < 0 ? undefined : args.slice(script + 1).find((arg) => !arg.startsWith('-'));
}

/** Every flag `command` runs with. */
export function flagsFor(command) {
  return [...(BULK_LOADS.has(command) ? BULK_LOAD_FLAGS : OTHER_FLAGS)];
}

/** Environment variables punchcard runs with (glibc's malloc; other C libraries ignore them). */
export const RUN_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' });

// `--no-x` and `--x=…` name the same flag as `--x`; V8 reads `_` and `-` alike.
const nameOf = (flag) => flag.split('=')[0].replaceAll('_', '-').replace(/^--no-/, '--');
const nodeOptionsOf = (env) => (env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);

/** Our flags for `command` that neither `given` (command-line arguments) nor NODE_OPTIONS sets: a user's own value wins. */
function missing(given, env, command) {
  const names = new Set([...given, ...nodeOptionsOf(env)].map(nameOf));
  return flagsFor(command).filter((flag) => !names.has(nameOf(flag)));
}

/** Our variables that `env` does not set: a user's own value wins. */
function missingEnv(env) {
  return Object.fromEntries(Object.entries(RUN_ENV).filter(([name]) => env[name] === undefined));
}

/** The environment for starting `node` on a punchcard entry point: `env` plus RUN_ENV where `env` is silent. */
export function nodeEnv(env = process.env) {
  return { ...env, ...missingEnv(env) };
}

/** Arguments for starting `node` on a punchcard entry point: our flags (for the command in `extra`) first, then `extra`. */
export function nodeArgs(extra = [], env = process.env) {
  return [...missing(extra, env, commandOf(extra)), ...extra];
}

/**
 * Makes this process run with the flags. V8 sizes its young generation when it starts, and
 * v8.setFlagsFromString afterwards changed nothing measurable (the semi-spaces had already been
 * set up), so when Node was started without them (`punchcard` from npm's bin link, `node
 * bin/punchcard.mjs`) or without RUN_ENV's variables, the process replaces itself with the same
 * command plus the flags and variables: process.execve keeps the pid, stdio, environment and
 * signals (no child process, nothing hidden from whoever measures it) and costs one bare Node start
 * (~40 ms). Where execve does not exist (Windows, a Node older than punchcard supports) the flags are set at run time, which
 * is the best left.
 */
export function applyV8Flags() {
  const flags = missing(process.execArgv, process.env, commandOf(process.argv.slice(1)));
  const variables = missingEnv(process.env);
  if (flags.length === 0 && Object.keys(variables).length === 0) return;
  if (typeof process.execve === 'function' && process.env.PUNCHCARD_NO_REEXEC !== '1') {
    try {
      process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, ...variables });
    } catch {
      // The exec was refused (e.g. a sandbox without execve): go on in this process.
    }
  }
  for (const flag of flags) v8.setFlagsFromString(flag);
}
