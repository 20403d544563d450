// Preloaded (`node --import`) by test/unit/node-flags.test.ts: every start of a Node program in this
// process (the launcher may exec itself) prints its pid, its glibc malloc variables (MALLOC_*, as
// JSON without spaces) and the Node flags it runs with.
import { writeSync } from 'node:fs';

const malloc = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('MALLOC_')).sort());
writeSync(2, `EXEC_ARGV ${process.pid} ${JSON.stringify(malloc)} ${JSON.stringify(process.execArgv.filter((arg) => !arg.startsWith('--import') && !arg.endsWith('report-exec-argv.mjs')))}\n`);
