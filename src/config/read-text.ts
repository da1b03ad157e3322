import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { asidePathsOf } from './write/scratch.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * How much of each kind of file the server reads. Generous: a settings file
 * with 1,000 models is about 250 KB. Beyond it a file is refused rather than
 * read whole (a settings.json linked to a huge log would otherwise be held
 * in memory on every change).
 */
export const READ_LIMITS = {
  settings: { bytes: 4 * MiB, noun: 'a settings file' },
  trustedFolders: { bytes: 1 * MiB, noun: 'the trusted-folders file' },
  dotenv: { bytes: 1 * MiB, noun: 'a .env file' },
  oauthCredentials: { bytes: 256 * KiB, noun: 'the Qwen OAuth credential file' },
  verdicts: { bytes: 256 * KiB, noun: 'the record of key checks' },
} as const;
export type FileKind = keyof typeof READ_LIMITS;

export type TextFile =
  | { kind: 'text'; text: string; mtimeMs: number }
  | { kind: 'missing' }
  /** `message` is a sentence that names the file and says what to do. */
  | { kind: 'refused'; message: string; directory: boolean };

function whatItIs(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const size = (n: number) => (n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${Math.ceil(n / KiB)} KiB`);

function notRegular(path: string, st: Stats): TextFile {
  return {
    kind: 'refused',
    directory: st.isDirectory(),
    message: `${path} is (or links to) ${whatItIs(st)}: the server reads only regular files (a symbolic link to one is fine); replace it with a file`,
  };
}

function tooLarge(path: string, kind: FileKind, bytes: string): TextFile {
  const { bytes: limit, noun } = READ_LIMITS[kind];
  return {
    kind: 'refused',
    directory: false,
    message: `${path} is ${bytes}, more than the ${size(limit)} the server reads of ${noun}, so it is not read: make it smaller, or check that this is the file you meant`,
  };
}

function unreadable(path: string, err: unknown): TextFile {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
  return { kind: 'refused', directory: false, message: `cannot read ${path}: ${code ?? String(err)}` };
}

/**
 * Reads a text file the server does not control, safely whatever is at the
 * path. A named pipe would block the read until someone writes to it, and a
 * device such as /dev/zero never ends; so: stat first and refuse anything
 * but a regular file within the kind's limit, open without blocking, check
 * again on the open file (it may have been swapped meanwhile), and read at
 * most one byte past the limit.
 *
 * Synchronous inside: these are small local files, and a config graph reads
 * some twenty of them (the .env search stats every ancestor). Through the
 * thread pool each step is a trip round the event loop, which with many
 * editors busy on two cores made one recompute take 200 ms instead of 2.
 */
export function readText(path: string, kind: FileKind): Promise<TextFile> {
  return Promise.resolve(readTextSync(path, kind));
}

export function readTextSync(path: string, kind: FileKind): TextFile {
  const read = readOneSync(path, kind);
  if (read.kind !== 'missing') return read;
  // Caught in the instant a writer has the file aside (config/write/swap.ts): that is still the file.
  // Only one put there just now (a rename sets its ctime): an old one, such as a repository might ship, is not the file.
  for (const aside of asidePathsOf(path)) {
    if (!justMoved(aside)) continue;
    const there = readOneSync(aside, kind);
    if (there.kind === 'text') return there;
  }
  return read;
}

const ASIDE_FRESH_MS = 1000;

function justMoved(path: string): boolean {
  try {
    return Date.now() - lstatSync(path).ctimeMs < ASIDE_FRESH_MS;
  } catch {
    return false;
  }
}

function readOneSync(path: string, kind: FileKind): TextFile {
  const limit = READ_LIMITS[kind].bytes;
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return unreadable(path, err);
  }
  if (!st.isFile()) return notRegular(path, st);
  if (st.size > limit) return tooLarge(path, kind, size(st.size));
  let fd: number;
  try {
    // O_NONBLOCK does not exist on Windows, where there are no FIFOs to open.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return unreadable(path, err);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return notRegular(path, opened);
    // The file may grow between the fstat and the read: read until its end, never past limit + 1.
    let buf = Buffer.allocUnsafe(Math.min(opened.size, limit) + 1);
    let n = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, n, buf.length - n, n);
      n += bytesRead;
      if (bytesRead === 0 || n > limit) break;
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, limit + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
    }
    if (n > limit) return tooLarge(path, kind, `over ${size(limit)}`);
    return { kind: 'text', text: buf.toString('utf8', 0, n), mtimeMs: opened.mtimeMs };
  } catch (err) {
    return unreadable(path, err);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Nothing to do about a failed close of a read-only descriptor.
    }
  }
}
