/** `punchcard simulate`: both API simulators in the foreground, for demos and manual testing. */
import { startTimeclockSimulator } from '../../simulators/timeclock/index.ts';
import { parseIntOption } from '../arguments.ts';
import type { CommandContext } from '../context.ts';

export interface SimulateFlags {
  port?: string;
  token?: string;
  employees?: string;
  seed?: string;
}

export async function simulateCommand(context: CommandContext, flags: SimulateFlags): Promise<void> {
  const port = parseIntOption('--port', flags.port, 8365, 0, 65535);
  const employees = parseIntOption('--employees', flags.employees, 40, 1, 100_000);
  const seed = parseIntOption('--seed', flags.seed, 42, 0, 2 ** 31);
  const token = flags.token ?? 'demo-token';
  const timeclock = await startTimeclockSimulator({ port, token, employees, seed });
  process.stdout.write(
    [
      `TimeClock 365 simulator: ${timeclock.url}`,
      `  export TIMECLOCK_API_URL=${timeclock.url} TIMECLOCK_API_TOKEN=${token}`,
      `  control API: ${new URL('/_sim/health', timeclock.url).href} (faults: POST /_sim/faults)`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
  await timeclock.close();
}
