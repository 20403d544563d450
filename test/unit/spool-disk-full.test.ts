/**
 * A spool or a received body that cannot be written (a full disk) fails the window's attempt with
 * the write's error and leaves nothing behind; it must not end the process with an unhandled
 * 'error' event. Writes go to /dev/full, which refuses every write with ENOSPC.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { receiveBody } from '../../src/sources/answer-body.ts';

const realCreateWriteStream = fs.createWriteStream;
const diskFull = () => {
  (fs as { createWriteStream: typeof fs.createWriteStream }).createWriteStream = ((_path: fs.PathLike, options?: unknown) =>
    realCreateWriteStream('/dev/full', options as never)) as typeof fs.createWriteStream;
  syncBuiltinESMExports();
};
// A folder of its own for the temp files (os.tmpdir() reads TMPDIR on every call).
const savedTmpdir = process.env.TMPDIR;
beforeEach(() => {
  process.env.TMPDIR = fs.mkdtempSync(path.join(savedTmpdir ?? '/tmp', 'spool-disk-full-'));
});
afterEach(() => {
  (fs as { createWriteStream: typeof fs.createWriteStream }).createWriteStream = realCreateWriteStream;
  syncBuiltinESMExports();
  fs.rmSync(tmpdir(), { recursive: true, force: true });
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
});
const leftovers = () => fs.readdirSync(tmpdir());

function record(n: number) {
  return {
    employeeNumber: n,
    email: `e${n}@example.com`,
    sessions: Array.from({ length: 20 }, (_, d) => ({ startDate: `2026-09-${String(d + 1).padStart(2, '0')} 08:00:00`, endDate: `2026-09-${String(d + 1).padStart(2, '0')} 16:00:00`, timezone: 'Europe/Berlin', note: 'x'.repeat(200) })),
  };
}

describe.runIf(fs.existsSync('/dev/full'))('a full disk', () => {
  // In a process of its own: what is at stake is an unhandled 'error' event ending the process,
  // which the test runner would otherwise catch for it.
  it('fails a spool with ENOSPC, removes its folder and leaves the process running', () => {
    const script = path.join(tmpdir(), 'spool-disk-full.ts');
    const src = (file: string) => JSON.stringify(pathToFileURL(path.resolve('src', file)).href);
    fs.writeFileSync(
      script,
      `import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { openSpool, recordByRecordTransformer } from ${src('pipeline/spool.ts')};
import { transformSessions } from ${src('transform/timeclock/sessions.ts')};
const real = fs.createWriteStream;
fs.createWriteStream = (_path, options) => real('/dev/full', options);
syncBuiltinESMExports();
const window = { start: '2026-09-01', end: '2026-09-30' };
const record = ${record.toString()};
const sink = await openSpool({ listKey: 'result', keepRawAnswer: false }, recordByRecordTransformer((records) => transformSessions(records, 'acme', window)));
try {
  for (let n = 1; n <= 200; n++) {
    sink.group(record(n), n - 1, { result: [] });
    // The failed write reports while nothing waits on the file (as while the next network chunk arrives).
    await new Promise((resolve) => setTimeout(resolve, 5));
    await sink.drained();
  }
  await sink.finish({ result: [] }, 'sha');
  console.log('written');
} catch (error) {
  await sink.discard();
  console.log('failed with ' + error.code);
}
`,
    );
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmpdir() } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('failed with ENOSPC');
    expect(leftovers()).toEqual(['spool-disk-full.ts']);
  });

  it('fails receiving a body too big to keep in memory with ENOSPC and removes its file', async () => {
    diskFull();
    const chunks = (async function* () {
      for (let i = 0; i < 64; i++) yield new Uint8Array(64 * 1024).fill(0x20);
    })();
    await expect(receiveBody(chunks, { inMemoryBytes: 1024 })).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(leftovers()).toEqual([]);
  });
});
