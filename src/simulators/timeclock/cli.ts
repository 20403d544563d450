/**
 * Runs the TimeClock simulator as its own process (for the CLI demo or manual poking):
 *   node bin/run-ts.mjs src/simulators/timeclock/cli.ts --token secret [--port 8365] [--seed 42]
 *        [--employees 40] [--today 2025-11-20] [--latency-ms 0] [--max-range-days 31]
 * Prints one JSON line {"url": ..., "control": ...} when listening; SIGINT/SIGTERM close it.
 */
import { parseArgs } from 'node:util';
import { startTimeclockSimulator } from './server.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    token: { type: 'string', default: process.env.TIMECLOCK_SIM_TOKEN ?? 'sim-token' },
    seed: { type: 'string', default: '42' },
    employees: { type: 'string', default: '40' },
    today: { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    'max-range-days': { type: 'string', default: '31' },
  },
});

const sim = await startTimeclockSimulator({
  host: values.host,
  port: Number(values.port),
  token: values.token,
  seed: Number(values.seed),
  employees: Number(values.employees),
  today: values.today,
  latencyMs: Number(values['latency-ms']),
  maxRangeDays: Number(values['max-range-days']),
});
process.stdout.write(`${JSON.stringify({ url: sim.url, control: sim.url.replace('/api/v1/json-rpc', '/_sim/') })}\n`);
const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
