// Preloaded (`node --import`) into every process the bench measures: at exit it reports the
// process's peak resident set size and the CPU time it used (user + system, milliseconds), which
// only the process itself can read once it is over.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  const cpuMs = Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000);
  writeSync(2, `\nPUNCHCARD_BENCH_PEAK_RSS_KB=${usage.maxRSS}\nPUNCHCARD_BENCH_CPU_MS=${cpuMs}\n`);
});
