/**
 * Progress of a run: a bar on a terminal (windows done / total, rows, rate, ETA), one structured
 * log line per window otherwise.
 */
import cliProgress from 'cli-progress';
import type { Logger } from '../logger.ts';
import type { WindowEvent } from '../pipeline/run.ts';

export interface ProgressReporter {
  start(total: number, alreadyCommitted: number): void;
  window(event: WindowEvent): void;
  stop(): void;
}

export function createProgress(logger: Logger, interactive: boolean): ProgressReporter {
  let rows = 0;
  if (!interactive) {
    return {
      start: (total, alreadyCommitted) => logger.info({ windows: total, alreadyCommitted }, 'run started'),
      window: (event) => {
        rows += (event.counts?.inserted ?? 0) + (event.counts?.updated ?? 0);
        const fields = {
          stream: event.task.stream.name,
          window: `${event.task.window.start}..${event.task.window.end}`,
          outcome: event.outcome,
          ms: event.durationMs,
          ...event.counts,
          ...(event.error ? { error: event.error } : {}),
        };
        if (event.outcome === 'failed') logger.error(fields, 'window failed');
        else logger.info(fields, 'window done');
      },
      stop: () => undefined,
    };
  }
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {value}/{total} windows | {rows} rows | {rate} rows/s | ETA {eta_formatted} | {last}',
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, alreadyCommitted) => bar.start(total, alreadyCommitted, { rows: 0, rate: 0, last: '' }),
    window: (event) => {
      rows += (event.counts?.inserted ?? 0) + (event.counts?.updated ?? 0) + (event.counts?.deleted ?? 0);
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.increment(1, {
        rows,
        rate: Math.round(rows / seconds),
        last: `${event.task.stream.name} ${event.task.window.start} ${event.outcome}`,
      });
    },
    stop: () => bar.stop(),
  };
}
