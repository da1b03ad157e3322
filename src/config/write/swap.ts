import { linkSync, lstatSync, renameSync, type Stats, unlinkSync } from 'node:fs';
import { asidePathsOf } from './scratch.js';

/**
 * Putting a new copy of a file in place of the one that was read, only if
 * that one is still the file: the atomic exchange Linux has
 * (`renameat2(RENAME_EXCHANGE)`) and Node does not, made of a rename and a
 * link.
 *
 * A plain rename over the file can't be made safe against programs that
 * save without a lock: however late the last look, another program's save
 * may land between it and the rename, and the rename then destroys it. So
 * the file is first renamed aside, which takes whatever is there at that
 * instant; if that is not the file that was read, it is put back. The new
 * copy is then linked in, and a link never replaces anything: a save that
 * landed in the gap makes it fail, and that save stays.
 *
 * For the few microseconds in between, the file is missing by its name, as
 * it is during Qwen Code's own saves (`.orig`). The server's own readers
 * then read the aside (`readTextSync`); a writer killed right there leaves the
 * file aside, and the next writer or start puts it back (`restoreAside`).
 */
export type SwapOutcome = 'swapped' | 'changed';

/**
 * For tests: called just before each step of a swap, to make another
 * program's save land exactly there (a race otherwise left to chance).
 */
export const swapSteps: { before?: (step: 'aside' | 'link') => void } = {};

/** Links a file system may refuse (FAT, some network shares): there a plain rename has to do. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/**
 * Swaps `tmp` in for `target` if `target` is still the file `read`
 * describes, by way of `aside` (asidePathFor). `tmp` is gone after a swap.
 */
export function swapIn(tmp: string, target: string, read: Stats, aside: string): SwapOutcome {
  swapSteps.before?.('aside');
  try {
    renameSync(target, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return 'changed';
    throw err;
  }
  let taken: Stats | null = null;
  try {
    taken = lstatSync(aside);
  } catch {
    // Put back already by another server's start-up sweep: a save landed meanwhile, or it is the same file.
  }
  if (taken === null || !sameFile(taken, read)) {
    restoreAside(aside, target);
    return 'changed';
  }
  swapSteps.before?.('link');
  let moved: boolean;
  try {
    moved = moveIn(tmp, target);
  } catch (err) {
    restoreAside(aside, target);
    throw err;
  }
  // Either ours is in, or another program saved into the gap: its save is newer than the file read, and stays.
  discard(aside);
  return moved ? 'swapped' : 'changed';
}

/** Puts `tmp` in place of a file that doesn't exist, unless another program has just created it (which then stays). */
export function placeNew(tmp: string, target: string): SwapOutcome {
  return moveIn(tmp, target) ? 'swapped' : 'changed';
}

/**
 * Puts back the file at `aside` that a writer left there when it died
 * between the two steps of a swap, or drops it if `target` is there (the
 * swap was done, or someone saved since). Safe at any moment, also while
 * another writer is in the middle of its swap: putting back never replaces
 * anything, and that writer then finds its link refused and starts over.
 */
export function restoreAside(aside: string, target: string): void {
  try {
    if (!moveIn(aside, target)) discard(aside);
  } catch {
    // Nothing aside; or refused, and left for the next writer or start.
  }
}

/** `restoreAside` wherever a writer of `file` may have worked, for the sweeps (creating nothing). */
export function restoreAsides(file: string): void {
  for (const aside of asidePathsOf(file)) restoreAside(aside, file);
}

/**
 * Moves `from` to `to` unless something is there (false, and `from`
 * stays): a link, which never replaces anything, then `from` removed. On a
 * file system that refuses links, a rename, which would.
 */
function moveIn(from: string, to: string): boolean {
  try {
    linkSync(from, to);
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    if (!NO_LINKS.has(code(err) ?? '')) throw err;
    renameSync(from, to);
    return true;
  }
  discard(from);
  return true;
}

function discard(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
