/** What bench/peak-rss.mjs prints at a measured process's exit; undefined when the process did not get there. */
export function usageOf(output: string): { peakRssMb: number; cpuMs: number } | undefined {
  const rss = /PUNCHCARD_BENCH_PEAK_RSS_KB=(\d+)/.exec(output);
  const cpu = /PUNCHCARD_BENCH_CPU_MS=(\d+)/.exec(output);
  if (!rss || !cpu) return undefined;
  return { peakRssMb: Math.round(Number(rss[1]) / 1024), cpuMs: Number(cpu[1]) };
}
