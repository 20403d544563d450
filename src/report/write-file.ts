/**
 * Writes a file that holds personal data without ever exposing or clobbering anything: the data
 * goes into a temporary file created owner-only (0600) and exclusively in the target's directory,
 * then takes the target's name atomically. Without `force` an existing name — file, directory or
 * symlink, even a dangling one — is an error; with `force` the name is replaced, and a symlink
 * there is replaced itself, never followed (rename does not follow the last component).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.ts';

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

export async function writeFileSafely(option: string, target: string, content: string, options: { force: boolean }): Promise<void> {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if (code(error) === 'ENOENT') throw new UsageError(`${option} ${target}: the directory ${dir} does not exist`);
    if (code(error) === 'ENOTDIR') throw new UsageError(`${option} ${target}: ${dir} is not a directory`);
    if (code(error) === 'EACCES' || code(error) === 'EPERM' || code(error) === 'EROFS') throw new UsageError(`${option} ${target}: cannot create a file in ${dir} (${code(error)})`);
    throw error;
  }
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.force) await rename(temp, target);
    else await linkExclusive(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (code(error) === 'EEXIST') throw new UsageError(`${option} ${target} already exists: choose another name, or pass --force to replace it`);
    if (code(error) === 'EISDIR' || code(error) === 'ENOTEMPTY') throw new UsageError(`${option} ${target} is a directory`);
    throw error;
  }
}

/** The complete file appears under `target` only if nothing had that name (link fails with EEXIST). */
async function linkExclusive(temp: string, target: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (error) {
    // Filesystems without hard links: claim the name exclusively, then move the data over it.
    if (code(error) !== 'EPERM' && code(error) !== 'ENOTSUP' && code(error) !== 'EOPNOTSUPP') throw error;
    await (await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)).close();
    await rename(temp, target);
    return;
  }
  await unlink(temp);
}
