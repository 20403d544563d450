/** `punchcard simulate`: both API simulators in the foreground, for demos and manual testing. */
import { DEFAULT_API_USERS, startClockodoSimulator } from '../../simulators/clockodo/index.ts';
import { startTimeclockSimulator } from '../../simulators/timeclock/index.ts';
import { UsageError } from '../../errors.ts';
import { parseIntOption } from '../arguments.ts';
import type { CommandContext } from '../context.ts';

export interface SimulateFlags {
  port?: string;
  clockodoPort?: string;
  token?: string;
  employees?: string;
  seed?: string;
}

function portInUse(option: string, port: number, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') return new UsageError(`${option} ${port} is already in use (choose another port, or 0 for a free one)`);
  if (code === 'EACCES') return new UsageError(`${option} ${port} needs privileges this process lacks (choose a port above 1023)`);
  return error;
}

export async function simulateCommand(context: CommandContext, flags: SimulateFlags): Promise<void> {
  const port = parseIntOption('--port', flags.port, 8365, 0, 65535);
  const clockodoPort = parseIntOption('--clockodo-port', flags.clockodoPort, 8366, 0, 65535);
  const employees = parseIntOption('--employees', flags.employees, 40, 1, 100_000);
  const seed = parseIntOption('--seed', flags.seed, 42, 0, 2 ** 31);
  const token = flags.token ?? 'demo-token';
  const timeclock = await startTimeclockSimulator({ port, token, employees, seed }).catch((error: unknown) => {
    throw portInUse('--port', port, error);
  });
  const clockodo = await startClockodoSimulator({ port: clockodoPort, seed, attendance: timeclock.dataset }).catch(async (error: unknown) => {
    await timeclock.close();
    throw portInUse('--clockodo-port', clockodoPort, error);
  });
  const user = DEFAULT_API_USERS[0]!;
  process.stdout.write(
    [
      `TimeClock 365 simulator: ${timeclock.url}`,
      `clockodo simulator:      ${clockodo.url}`,
      'Point punchcard at them:',
      `  export TIMECLOCK_API_URL=${timeclock.url} TIMECLOCK_API_TOKEN=${token}`,
      `  export CLOCKODO_API_URL=${clockodo.url} CLOCKODO_API_USER=${user.email} CLOCKODO_API_KEY=${user.apiKey}`,
      `Faults: POST ${new URL('/_sim/faults', timeclock.url).href} (or the clockodo one) with {"kind":"http-503","count":2}`,
      'Ctrl-C stops them.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.all([timeclock.close(), clockodo.close()]);
}
