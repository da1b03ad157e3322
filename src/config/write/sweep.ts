import { lstatSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ConfigPaths } from '../paths.js';
import { leftoverOf } from './leftover-names.js';
import { writerGone } from './liveness.js';
import { takeOverIfAbandoned } from './lock-files.js';
import { workFoldersOf } from './scratch.js';
import { restoreAsides } from './swap.js';

/** Before a write, the folder is swept at most this often per file. */
const SWEEP_EVERY_MS = 30_000;

/**
 * Removes what writers of `files` that died left beside them or in their
 * scratch folder: temp files (which may hold a key), half-made or
 * half-deleted locks, and locks whose holder is dead; a file left aside in
 * the middle of a swap is put back. What a live writer is using is left alone. Never fails:
 * a folder that can't be read is simply not swept. Synchronous: it runs
 * while the file's lock is held, and a few listings cost less than the
 * turns of the event loop that waiting for them would take under load.
 */
export function sweepDeadWriters(files: Iterable<string>): void {
  // Each folder a writer may have worked in (see workFoldersOf), with the files whose leftovers may be there.
  const byFolder = new Map<string, string[]>();
  const written = [...files].map(whereWritten);
  // First: a file a killed writer left aside is the file itself.
  for (const f of written) restoreAsides(f);
  for (const f of written) {
    for (const folder of workFoldersOf(f)) byFolder.set(folder, [...(byFolder.get(folder) ?? []), f]);
  }
  for (const [folder, forFiles] of byFolder) {
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch {
      continue;
    }
    for (const file of forFiles) {
      for (const entry of entries) {
        const l = leftoverOf(entry, file);
        if (!l) continue;
        const path = join(folder, entry);
        try {
          if (writerGone(l, lstatSync(path).mtimeMs)) rmSync(path, { recursive: true, force: true });
        } catch {
          // Gone meanwhile, or not ours to remove.
        }
      }
      try {
        if (entries.includes(`${basename(file)}.lock`)) takeOverIfAbandoned(join(folder, `${basename(file)}.lock`), 'dir');
      } catch {
        // Left for the next writer, which takes it over just the same.
      }
    }
  }
}

/** Where writes of `file` land (see `resolveWriteTarget`), without creating anything. */
function whereWritten(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return join(realpathSync(dirname(file)), basename(file));
    } catch {
      return file;
    }
  }
}

/** The start-up sweep: beside every file the server writes, and in its scratch folder. */
export function sweepAtStart(paths: ConfigPaths): void {
  const { settings, trustedFolders, oauthCreds, qwenDir, home } = paths;
  const files = [settings.user, settings.workspace, trustedFolders, oauthCreds, join(qwenDir, '.env'), join(home, '.env')];
  return sweepDeadWriters(files.filter((f) => f !== null));
}

const lastSwept = new Map<string, number>();

/** The sweep of one file's folder just before writing it, now and then. */
export function sweepBeforeWrite(target: string): void {
  const now = Date.now();
  if (now - (lastSwept.get(target) ?? 0) < SWEEP_EVERY_MS) return;
  lastSwept.set(target, now);
  sweepDeadWriters([target]);
}
