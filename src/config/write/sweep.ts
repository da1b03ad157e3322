import { lstat, readdir, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ConfigPaths } from '../paths.js';
import { type Leftover, leftoverOf } from './leftover-names.js';
import { pidAlive, startedAfter } from './liveness.js';
import { takeOverIfAbandoned } from './lock-files.js';

/** A leftover this old has no live writer, wherever it was written: a write takes milliseconds. */
const ABANDONED_MS = 10 * 60_000;
/** Before a write, the folder is swept at most this often per file. */
const SWEEP_EVERY_MS = 30_000;

function writerGone(l: Leftover, mtimeMs: number): boolean {
  if (Date.now() - mtimeMs > ABANDONED_MS) return true;
  if (!l.local) return false;
  // A live pid may belong to a newer process that took the dead writer's number.
  return !pidAlive(l.pid) || startedAfter(l.pid, mtimeMs) === true;
}

/**
 * Removes what writers of `files` that died left beside them: temp files
 * (which may hold a key), half-made or half-deleted locks, and locks whose
 * holder is dead. What a live writer is using is left alone. Never fails:
 * a folder that can't be read is simply not swept.
 */
export async function sweepDeadWriters(files: Iterable<string>): Promise<void> {
  const byDir = new Map<string, string[]>();
  for (const f of await Promise.all([...files].map(whereWritten))) byDir.set(dirname(f), [...(byDir.get(dirname(f)) ?? []), f]);
  await Promise.all(
    [...byDir].map(async ([dir, inDir]) => {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        return;
      }
      for (const file of inDir) {
        for (const entry of entries) {
          const l = leftoverOf(entry, file);
          if (!l) continue;
          const path = join(dir, entry);
          const s = await lstat(path).catch(() => null);
          if (s && writerGone(l, s.mtimeMs)) await rm(path, { recursive: true, force: true }).catch(() => {});
        }
        try {
          if (entries.includes(`${basename(file)}.lock`)) takeOverIfAbandoned(`${file}.lock`, 'dir');
        } catch {
          // Left for the next writer, which takes it over just the same.
        }
      }
    }),
  );
}

/** Where writes of `file` land (see `resolveWriteTarget`), without creating anything. */
async function whereWritten(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return realpath(dirname(file)).then(
      (dir) => join(dir, basename(file)),
      () => file,
    );
  }
}

/** The start-up sweep: beside every file the server writes. */
export function sweepAtStart(paths: ConfigPaths): Promise<void> {
  const { settings, trustedFolders, oauthCreds, qwenDir, home } = paths;
  const files = [settings.user, settings.workspace, trustedFolders, oauthCreds, join(qwenDir, '.env'), join(home, '.env')];
  return sweepDeadWriters(files.filter((f) => f !== null));
}

const lastSwept = new Map<string, number>();

/** The sweep of one file's folder just before writing it, now and then. */
export async function sweepBeforeWrite(target: string): Promise<void> {
  const now = Date.now();
  if (now - (lastSwept.get(target) ?? 0) < SWEEP_EVERY_MS) return;
  lastSwept.set(target, now);
  await sweepDeadWriters([target]);
}
