/**
 * A spool or a received body that cannot be written (a full disk) fails the window's attempt with
 * the write's error and leaves nothing behind; it must not end the process with an unhandled
 * 'error' event. Writes go to /dev/full, which refuses every write with ENOSPC. Each case runs in a
 * process of its own: what is at stake is the process ending, which the test runner would otherwise
 * catch for it. The failed write reports while nothing waits on the file (as while the next network
 * chunk arrives): small pieces, a pause after each.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// A folder of its own for the temp files (os.tmpdir() reads TMPDIR on every call).
const savedTmpdir = process.env.TMPDIR;
beforeEach(() => {
  process.env.TMPDIR = fs.mkdtempSync(path.join(savedTmpdir ?? '/tmp', 'spool-disk-full-'));
});
afterEach(() => {
  fs.rmSync(tmpdir(), { recursive: true, force: true });
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
});

const src = (file: string) => JSON.stringify(pathToFileURL(path.resolve('src', file)).href);

/** Runs `body` (TypeScript, top-level await) with every file write going to /dev/full; what it prints, and the temp files left. */
function withDiskFull(imports: string, body: string): { status: number | null; stdout: string; stderr: string; leftovers: string[] } {
  const script = path.join(tmpdir(), 'disk-full.ts');
  fs.writeFileSync(
    script,
    `import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
${imports}
const real = fs.createWriteStream;
fs.createWriteStream = (_path, options) => real('/dev/full', options);
syncBuiltinESMExports();
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
${body}
`,
  );
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmpdir() } });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr, leftovers: fs.readdirSync(tmpdir()).filter((name) => name !== 'disk-full.ts') };
}

function record(n: number) {
  return {
    employeeNumber: n,
    email: `e${n}@example.com`,
    sessions: Array.from({ length: 20 }, (_, d) => ({ startDate: `2026-09-${String(d + 1).padStart(2, '0')} 08:00:00`, endDate: `2026-09-${String(d + 1).padStart(2, '0')} 16:00:00`, timezone: 'Europe/Berlin', note: 'x'.repeat(200) })),
  };
}

describe.runIf(fs.existsSync('/dev/full'))('a full disk', () => {
  it('fails a spool with ENOSPC, removes its folder and leaves the process running', () => {
    const run = withDiskFull(
      `import { openSpool, recordByRecordTransformer } from ${src('pipeline/spool.ts')};
import { transformSessions } from ${src('transform/timeclock/sessions.ts')};`,
      `const window = { start: '2026-09-01', end: '2026-09-30' };
const record = ${record.toString()};
const sink = await openSpool({ listKey: 'result', keepRawAnswer: false }, recordByRecordTransformer((records) => transformSessions(records, 'acme', window)));
try {
  for (let n = 1; n <= 200; n++) {
    sink.group(record(n), n - 1, { result: [] });
    await pause();
    await sink.drained();
  }
  await sink.finish({ result: [] }, 'sha');
  console.log('written');
} catch (error) {
  await sink.discard();
  console.log('failed with ' + error.code);
}`,
    );
    expect(run).toEqual({ status: 0, stdout: 'failed with ENOSPC', stderr: '', leftovers: [] });
  });

  it('fails receiving a body too big to keep in memory with ENOSPC, removes its file and leaves the process running', () => {
    const run = withDiskFull(
      `import { receiveBody } from ${src('sources/answer-body.ts')};`,
      `const chunks = (async function* () {
  for (let i = 0; i < 64; i++) {
    yield new Uint8Array(1024).fill(0x20);
    await pause();
  }
})();
try {
  await receiveBody(chunks, { inMemoryBytes: 1024 });
  console.log('received');
} catch (error) {
  console.log('failed with ' + error.code);
}`,
    );
    expect(run).toEqual({ status: 0, stdout: 'failed with ENOSPC', stderr: '', leftovers: [] });
  });
});
