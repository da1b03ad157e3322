import { lstatSync, mkdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The path every process agrees on for `path`: symlinks followed (so a
 * dotfiles link is written through, not replaced by a plain file) and the
 * folder resolved even when the file doesn't exist yet (so a process that
 * sees the file and one that doesn't still lock the same thing). Creates the
 * parent folder. Synchronous, as the rest of a write: a few system calls
 * cost microseconds, a trip through the thread pool under load far more.
 */
export function resolveWriteTarget(path: string): string {
  let cur = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(cur).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw err;
    }
    if (!isLink) break;
    cur = resolve(dirname(cur), readlinkSync(cur));
  }
  const dir = dirname(cur);
  mkdirSync(dir, { recursive: true });
  return join(realpathSync(dir), basename(cur));
}
