// Preloaded (`node --import`) by test/unit/node-flags.test.ts: every start of a Node program in this
// process (the launcher may exec itself) prints its pid, its MALLOC_ARENA_MAX (- when unset) and the
// Node flags it runs with.
import { writeSync } from 'node:fs';

writeSync(2, `EXEC_ARGV ${process.pid} ${process.env.MALLOC_ARENA_MAX ?? '-'} ${JSON.stringify(process.execArgv.filter((arg) => !arg.startsWith('--import') && !arg.endsWith('report-exec-argv.mjs')))}\n`);
