// The V8 flags punchcard runs with, in one place. Read by the launcher (bin/punchcard.mjs), by
// bench/run.ts and bench/fleet.ts for the processes they start, and compared with package.json's
// scripts and the Dockerfile's ENTRYPOINT by test/unit/node-flags.test.ts.
//
// Chosen by measurement (README "Memory: V8 flags and the nightly sync's heap"; bench/semi-space.ts).
// The live heap of the nightly sync is ~50 MB, half of it code; the peak RSS (~380 MB with
// Node's defaults) was garbage V8 let pile up:
// - --max-semi-space-size=2: the young generation (two semi-spaces) otherwise grows to 16-32 MB
//   each on 64-bit, so a window's short-lived objects (parsed answers, rows, COPY text) sit in up
//   to ~100 MB between scavenges. 1-8 MB all do about as well (nightly ~250-290 MB); the default
//   is what costs.
// - --optimize-for-size: V8 grows the old generation in smaller steps and collects sooner: nightly
//   sync ~160 MB, 31-day backfill of 1,000 employees ~175 MB. No time lost on the sync; on a
//   CPU-bound backfill between none and ~1.8x in our noisy runs (2 shared cores). If that proves
//   real, --heap-growing-percent=20 instead gave ~185 MB at the speed of semi-space alone.
// The old generation is not capped: a cap turns a large answer into a crash instead of a slow run.
// Only some V8 flags are allowed in NODE_OPTIONS (not --optimize-for-size): give them on the
// command line, as package.json, the Dockerfile and the bench do.
import v8 from 'node:v8';

/** The flags, as they go on a `node` command line. */
export const V8_FLAGS = Object.freeze(['--max-semi-space-size=2', '--optimize-for-size']);

// `--no-x` and `--x=…` name the same flag as `--x`; V8 reads `_` and `-` alike.
const nameOf = (flag) => flag.split('=')[0].replaceAll('_', '-').replace(/^--no-/, '--');
const nodeOptionsOf = (env) => (env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);

/** Our flags that neither `given` (command-line arguments) nor NODE_OPTIONS sets: a user's own value wins. */
function missing(given, env) {
  const names = new Set([...given, ...nodeOptionsOf(env)].map(nameOf));
  return V8_FLAGS.filter((flag) => !names.has(nameOf(flag)));
}

/** Arguments for starting `node` on a punchcard entry point: our flags first, then `extra`. */
export function nodeArgs(extra = [], env = process.env) {
  return [...missing(extra, env), ...extra];
}

/**
 * Makes this process run with the flags. V8 sizes its young generation when it starts, and
 * v8.setFlagsFromString afterwards changed nothing measurable (the semi-spaces had already been
 * set up), so when Node was started without them (`punchcard` from npm's bin link, `node
 * bin/punchcard.mjs`) the process replaces itself with the same command plus the flags:
 * process.execve keeps the pid, stdio, environment and signals (no child process, nothing hidden
 * from whoever measures it) and costs one bare Node start (~40 ms). Where execve does not exist
 * (Windows, Node < 23.11) the flags are set at run time, which is the best left.
 */
export function applyV8Flags() {
  const flags = missing(process.execArgv, process.env);
  if (flags.length === 0) return;
  if (typeof process.execve === 'function' && process.env.PUNCHCARD_NO_REEXEC !== '1') {
    try {
      process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env);
    } catch {
      // The exec was refused (e.g. a sandbox without execve): go on in this process.
    }
  }
  for (const flag of flags) v8.setFlagsFromString(flag);
}
