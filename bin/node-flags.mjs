// The V8 flags punchcard runs with, in one place. Read by the launcher (bin/punchcard.mjs, which
// applies them at run time), by bench/run.ts for the processes it measures, and compared with
// package.json's scripts, the Dockerfile's ENTRYPOINT and docker-compose.yml by
// test/unit/node-flags.test.ts, which start Node with them on the command line.
//
// --max-semi-space-size: V8's young generation (two semi-spaces) grows to 16-32 MB each by default
// on a 64-bit machine; a window's short-lived rows (parsed answers, transformed rows, COPY
// buffers) then sit in up to ~100 MB of young space between scavenges. Measured on a 300-employee
// backfill and the 1,000-employee nightly sync (README "Memory"), a 2 MB semi-space cuts peak
// RSS by about half for no measurable loss of wall time; 1 MB scavenges so often that it costs
// time, 4-8 MB give back much of the memory. The old generation is not capped: a cap would turn
// a large answer into a crash instead of a slower run.
import v8 from 'node:v8';

/** The flags, as they go on a `node` command line. */
export const V8_FLAGS = Object.freeze(['--max-semi-space-size=2']);

const nameOf = (flag) => flag.split('=')[0].replaceAll('_', '-');

/** Whether `flag`'s name (the value aside) is among `given` (command-line flags, e.g. process.execArgv). */
function alreadyGiven(flag, given) {
  return given.some((arg) => nameOf(arg) === nameOf(flag));
}

/**
 * Arguments for starting `node` on a punchcard entry point: our flags first, then `extra`, except
 * a flag that NODE_OPTIONS (`env`) already sets, so a user's own value wins.
 */
export function nodeArgs(extra = [], env = process.env) {
  const fromEnv = (env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  return [...V8_FLAGS.filter((flag) => !alreadyGiven(flag, [...fromEnv, ...extra])), ...extra];
}

/**
 * Sets the flags in this running V8, when Node was not started with them (command line or
 * NODE_OPTIONS). It must run before the program allocates much: V8 sized the young generation at
 * start, and a semi-space that has grown is only shrunk by later scavenges, so this is a good deal
 * less exact than the command line (where we start Node ourselves we give them there).
 */
export function applyV8Flags() {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  for (const flag of V8_FLAGS) if (!alreadyGiven(flag, given)) v8.setFlagsFromString(flag);
}
