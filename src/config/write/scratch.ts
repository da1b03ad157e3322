import { basename, dirname, join } from 'node:path';

/**
 * The scratch folder writers work in, and the names in it that a reader may
 * need: kept apart from leftover-names.ts, with no dependencies, since the
 * config readers use it from the first read on and the write path loads on
 * first use.
 */

/** The scratch folder's name (see leftover-names.ts). */
export const SCRATCH = '.qwen-agent-server';

/** The folders a writer of `file` may have left something in: its own, and the scratch folder. */
export function workFoldersOf(file: string): string[] {
  return [dirname(file), join(dirname(file), SCRATCH)];
}

/** `.<name>.aside`: where a writer puts the file for a moment during a swap (see swap.ts). */
export const asideName = (file: string) => `.${basename(file)}.aside`;

/** Where the aside of `file` may be, wherever it was written from (creating nothing). */
export function asidePathsOf(file: string): string[] {
  return workFoldersOf(file).map((folder) => join(folder, asideName(file)));
}
