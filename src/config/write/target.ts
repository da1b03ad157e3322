import { lstat, mkdir, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The path every process agrees on for `path`: symlinks followed (so a
 * dotfiles link is written through, not replaced by a plain file) and the
 * folder resolved even when the file doesn't exist yet (so a process that
 * sees the file and one that doesn't still lock the same thing). Creates the
 * parent folder.
 */
export async function resolveWriteTarget(path: string): Promise<string> {
  let cur = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let isLink: boolean;
    try {
      isLink = (await lstat(cur)).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw err;
    }
    if (!isLink) break;
    cur = resolve(dirname(cur), await readlink(cur));
  }
  const dir = dirname(cur);
  await mkdir(dir, { recursive: true });
  return join(await realpath(dir), basename(cur));
}
