import { type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServerError } from '../../protocol/index.js';

/** A refusal from the system (it carries the syscall), as opposed to a bug. */
function systemError(err: unknown): NodeJS.ErrnoException | undefined {
  if (typeof err !== 'object' || err === null || !('syscall' in err) || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? (err as NodeJS.ErrnoException) : undefined;
}

/**
 * What a write of `path` failing with `err` means to a person: `WriteFailed`
 * with the reason and what to do, for any refusal from the system. Anything
 * else (a ServerError already, a bug) is returned as it is.
 */
export function writeFailure(err: unknown, path: string): unknown {
  const e = systemError(err);
  if (!e) return err;
  const dir = dirname(path);
  switch (e.code) {
    case 'EROFS':
      return failed(path, 'read-only', `${path} can't be written: its file system is read-only`, `make ${dir} writable, then try again`);
    case 'EACCES':
    case 'EPERM':
      return failed(
        path,
        'permission-denied',
        `${path} can't be written: permission denied`,
        `check the owner and permissions of ${path} and of its folder ${dir} (and that neither is immutable: lsattr)`,
      );
    case 'EISDIR':
      return isAFolder(path);
    case 'EEXIST':
      // mkdir of a folder on the way: a file has its name.
      return e.syscall === 'mkdir' ? fileInTheWay(path) : failed(path, 'EEXIST', `${path} can't be written (the system said EEXIST)`, 'try again');
    case 'ENOTDIR':
      return fileInTheWay(path);
    case 'ENOSPC':
    case 'EDQUOT':
      return failed(path, 'no-space', `${path} can't be written: no space left on the disk (or over quota)`, 'free some space, then try again');
    case 'ELOOP':
      return failed(path, 'symlink-loop', `${path} can't be written: its symbolic links form a loop`, `fix the links at ${path}`);
    default:
      return failed(path, e.code!, `${path} can't be written (the system said ${e.code})`, 'try again; if it keeps failing, check the disk and the folder');
  }
}

/** `WriteFailed` for a path that holds something other than a regular file: it is neither read nor replaced. */
export function notRegularFile(path: string, s: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isSocket'>): ServerError {
  if (s.isDirectory()) return isAFolder(path);
  const kind = s.isFIFO() ? 'a named pipe' : s.isSocket() ? 'a socket' : 'a device';
  return failed(path, 'not-a-regular-file', `${path} is ${kind}, not a regular file, so it is neither read nor replaced`, `put a regular file at ${path}`);
}

function isAFolder(path: string): ServerError {
  return failed(path, 'is-a-directory', `${path} is a folder, so the file can't be written there`, 'move that folder away, then try again');
}

function fileInTheWay(path: string): ServerError {
  const blocker = nearestNonFolder(path) ?? dirname(path);
  return failed(path, 'not-a-directory', `${blocker} is a file where a folder should be, so ${path} can't be written`, `rename or remove ${blocker}, then try again`);
}

function failed(path: string, reason: string, message: string, hint: string): ServerError {
  return new ServerError('WriteFailed', message, { path, reason, hint });
}

/** The nearest ancestor of `path` that exists and is not a folder. */
function nearestNonFolder(path: string): string | undefined {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      // Missing or itself under a file: look higher.
    }
  }
  return undefined;
}
