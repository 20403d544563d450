/**
 * The network part of a backfill alone: the same (stream, window) requests the backfill makes,
 * with the same concurrency and scheduling (one entrygroups month at a time), each answer
 * received and parsed by the same clients — then dropped, with no validation, transform or load.
 * Configuration comes from the environment, as for `punchcard backfill`. Prints one JSON line:
 * { durationMs, requests }.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { planTasks } from '../src/pipeline/plan.ts';
import { windowGroup } from '../src/pipeline/run.ts';
import { forEachBounded } from '../src/pipeline/slots.ts';
import { buildStreams } from '../src/sources/registry.ts';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, concurrency: { type: 'string', default: '2' } } });
const config = loadConfig(process.env);
const logger = createLogger({ level: 'warn' });
const streams = buildStreams(config, {}, { logger });
const tasks = planTasks(streams, values.from!, values.to!);
const started = performance.now();
await forEachBounded(tasks, Number(values.concurrency), windowGroup, async (task) => void (await task.stream.fetch(task.window)));
process.stdout.write(`${JSON.stringify({ durationMs: Math.round(performance.now() - started), requests: tasks.length })}\n`);
