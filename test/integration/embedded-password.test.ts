/**
 * The embedded server's superuser password never sits in a world-readable place: initdb's password
 * file is written inside an owner-only folder, not in the shared temp folder. Watched for real
 * while an embedded PostgreSQL initialises.
 */
import { spawnSync } from 'node:child_process';
import { watch } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbedded, withPrivateTmpdir } from '../../src/db/embedded.ts';

const isRoot = process.getuid?.() === 0;
const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await fs.rm(dir, { recursive: true, force: true });
});

describe('embedded PostgreSQL initialisation', () => {
  it('security #7: no password file appears in the shared temp folder while initdb runs', async () => {
    const shared = await fs.mkdtemp(path.join(tmpdir(), 'shared-tmp-'));
    await fs.chmod(shared, 0o1777); // like /tmp
    const parent = await fs.mkdtemp(path.join(tmpdir(), 'pc-embedded-'));
    await fs.chmod(parent, 0o711); // as root, initdb runs as the postgres OS user and must reach the data folder
    scratch.push(shared, parent);
    const seen: string[] = [];
    const watcher = watch(shared, (_event, name) => name && seen.push(String(name)));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = shared;
    try {
      await fs.writeFile(path.join(shared, 'canary'), ''); // proves the watcher sees new files
      const db = await startEmbedded({ dataDir: path.join(parent, 'pgdata'), postgresFlags: ['-c', 'fsync=off'] });
      await db.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      watcher.close();
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    expect(seen).toContain('canary');
    expect(seen.filter((name) => name.startsWith('pg-password-'))).toEqual([]);
    expect(await fs.readdir(shared)).toEqual(['canary']);
  });

  it('security #7: initdb gets a 0700 temp folder owned by the user it runs as, removed afterwards', async () => {
    const owner = isRoot ? Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()) : process.getuid!();
    let inside = '';
    const stat = await withPrivateTmpdir(isRoot, async () => {
      inside = tmpdir();
      return fs.stat(inside);
    });
    expect(stat.mode & 0o777).toBe(0o700);
    expect(stat.uid).toBe(owner);
    expect(tmpdir()).not.toBe(inside);
    await expect(fs.stat(inside)).rejects.toThrow(/ENOENT/);
  });
});
