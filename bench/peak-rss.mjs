// Preloaded (`node --import`) into every process the bench measures: at exit it reports the
// process's peak resident set size, which only the process itself can read once it is over.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nPUNCHCARD_BENCH_PEAK_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
