import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { link, open, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { besideLockPath } from './leftover-names.js';
import { holderIsDead, holderRecord, parseHolder } from './liveness.js';

/**
 * The on-disk form of a lock: it names its holder from the moment it is
 * made, and goes in one rename. So a crash at any moment leaves either no
 * lock or one that names its dead holder, which the next writer takes over
 * at once, never one it has to wait out.
 */

/** The holder's record inside a lock folder. */
const HOLDER_FILE = 'holder';

/**
 * A lock folder without a record (none, or one that doesn't parse) older
 * than this is taken as abandoned: ours get their record within
 * microseconds, so it is a writer killed in between, or an earlier version
 * of this server (no record) that would have let go long since.
 */
const ORPHAN_GRACE_MS = 500;

function lockedError(lockPath: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${lockPath} is held`), { code: 'EEXIST', path: lockPath });
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Creates the lock folder `lockPath` with this process's record in it;
 * EEXIST when someone holds it. The two steps run back to back, without
 * yielding, so that a lock without a record (see `ORPHAN_GRACE_MS`) is
 * never one of ours that is alive.
 */
export function createLockDir(lockPath: string): void {
  mkdirSync(lockPath);
  try {
    writeFileSync(join(lockPath, HOLDER_FILE), holderRecord());
  } catch (err) {
    // Without its record the lock would soon look abandoned: don't hold it.
    rmSync(lockPath, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Creates the lock file `lockPath` holding this process's record (Qwen
 * Code's `oauth_creds.lock` form); EEXIST when someone holds it. Linked
 * into place, so it is never seen empty.
 */
export async function createLockFile(lockPath: string): Promise<void> {
  const made = besideLockPath(lockPath, 'new');
  await writeFile(made, holderRecord(), { mode: 0o600, flag: 'wx' });
  try {
    await link(made, lockPath);
  } catch (err) {
    if (codeOf(err) === 'EEXIST') throw lockedError(lockPath);
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(codeOf(err) ?? '')) throw err;
    // No hard links here: exclusive create, as Qwen Code does.
    const fh = await open(lockPath, 'wx', 0o600).catch((e: unknown) => {
      throw codeOf(e) === 'EEXIST' ? lockedError(lockPath) : e;
    });
    try {
      await fh.writeFile(holderRecord());
    } finally {
      await fh.close();
    }
  } finally {
    await unlink(made).catch(() => {});
  }
}

/** Removes a lock (folder or file) in one step: renamed aside, then deleted. ENOENT when it is gone already. */
export function removeLock(lockPath: string): void {
  const aside = besideLockPath(lockPath, 'old');
  renameSync(lockPath, aside);
  rmSync(aside, { recursive: true, force: true });
}

/** The record of the lock's holder as written, or null (no lock, or no record yet). */
function holderText(lockPath: string, kind: 'dir' | 'file'): string | null {
  try {
    return readFileSync(kind === 'dir' ? join(lockPath, HOLDER_FILE) : lockPath, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Removes the lock at `lockPath` if it is abandoned: its holder certainly
 * dead (it ran on this machine, and that process is gone), a folder without
 * a readable record past `ORPHAN_GRACE_MS`, or, given `staleMs`, untouched
 * for longer than that. True when the lock is gone and taking it may be tried again at
 * once. Any other lock (a live holder, one on another machine, one that
 * names none, as Qwen Code's) is left alone.
 */
export function takeOverIfAbandoned(lockPath: string, kind: 'dir' | 'file', staleMs?: number): boolean {
  const text = holderText(lockPath, kind);
  const h = text === null ? null : parseHolder(text);
  if (!(h && holderIsDead(h))) {
    // A folder's record is written just after the folder is made: a writer
    // killed in between leaves none, or an empty or half-written one.
    const maxAge = kind === 'dir' && h === null ? ORPHAN_GRACE_MS : staleMs;
    if (maxAge === undefined) return false;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(lockPath).mtimeMs;
    } catch {
      return false;
    }
    if (Date.now() - mtimeMs <= maxAge) return false;
  }
  const aside = besideLockPath(lockPath, 'old');
  try {
    renameSync(lockPath, aside);
  } catch (err) {
    return codeOf(err) === 'ENOENT';
  }
  if (holderText(aside, kind) !== text) {
    // Another writer took the abandoned lock over and locked anew in
    // between: what was moved is its live lock. Give it back.
    try {
      if (kind === 'dir') renameSync(aside, lockPath);
      else linkSync(aside, lockPath);
    } catch {
      // Someone holds it again by now.
    }
    if (kind === 'file') rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}

/** Deletes the lock file at `lockPath` if this process holds it (not one that took it over since). */
export function releaseLockFile(lockPath: string): void {
  if (holderText(lockPath, 'file') === holderRecord()) rmSync(lockPath, { force: true });
}
