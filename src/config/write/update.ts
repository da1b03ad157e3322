import { chmodSync, closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerError } from '../../protocol/index.js';
import { discardTemp, syncDir, writeTempSync } from './atomic.js';
import { notRegularFile } from './failure.js';
import { withFileLock } from './lock.js';
import { readRegularSync, readSettled } from './read.js';
import { asidePathFor } from './leftover-names.js';
import { sweepBeforeWrite } from './sweep.js';
import { placeNew, restoreAside, swapIn } from './swap.js';

export interface UpdateFileOptions {
  /** Mode for a new file (an existing file keeps its own). Default 0644; always 0600 with `secret`. */
  mode?: number;
  /** The new content holds a secret: new files get 0600, and an existing file readable by group or others is narrowed to 0600 before writing. */
  secret?: boolean;
  /**
   * Whether bytes read from the file are a whole file of its kind (JSON
   * that parses, say). A read that is not is not trusted until the file
   * has settled (see `readSettled`). Default: not empty.
   */
  usable?: (bytes: Buffer) => boolean;
  /** The lock and temp file go beside the file: for folders nobody watches (the server's own state). */
  beside?: boolean;
}

export interface UpdateFileResult {
  changed: boolean;
  /** The file's text now (null: it still doesn't exist). */
  text: string | null;
}

/** How often, and for how long at most, to start over while another program keeps changing the file. */
const MAX_ATTEMPTS = 50;
const CONFLICT_MS = 3000;

const notEmpty = (bytes: Buffer) => bytes.length > 0;

/**
 * The locked read-modify-write every writer here goes through. `compute`
 * gets the current text (null: no file) and returns the new text, or null
 * for "no change"; it may run several times, so it must work from its
 * argument only.
 *
 * The lock only keeps out writers that take it; Qwen Code and a person's
 * editor don't. So nothing is based on a file caught halfway through being
 * written (see `readSettled`), and once the new text is on disk beside the
 * file, the file is compared byte for byte with what was read, and replaced
 * only if it is the same: otherwise everything starts over from the
 * new content. If that keeps failing (50 times, or for 3 s), `WriteConflict`
 * is thrown with nothing written.
 */
export async function updateFileLocked(
  path: string,
  compute: (current: string | null) => string | null | Promise<string | null>,
  opts: UpdateFileOptions = {},
): Promise<UpdateFileResult> {
  const usable = opts.usable ?? notEmpty;
  const result = await withFileLock(path, async (target) => {
    sweepBeforeWrite(target);
    const aside = asidePathFor(target, opts.beside);
    const deadline = Date.now() + CONFLICT_MS;
    /** After an in-place write into the file we replaced: its content, to redo the edit on, while ours is still there. */
    let carried: { ours: Buffer; theirs: Buffer } | undefined;
    // Only synchronous steps, but for waiting on another program: a task of
    // this process that ran in between would stretch the time the lock is held.
    for (let attempt = 1; ; attempt++) {
      // Left aside by a writer killed in the middle of its swap, or by ours if putting it back failed: never read as missing.
      restoreAside(aside, target);
      const current = await readSettled(target, usable);
      const basis = carried && current?.equals(carried.ours) ? carried.theirs : current;
      carried = undefined;
      const text = basis === null ? null : decodeUtf8(basis, path);
      const next = (await compute(text)) ?? text;
      if (next === null || (next === text && basis === current)) return { changed: false, text, target };

      const data = Buffer.from(next, 'utf8');
      // Changed already: no temp file written and synced for nothing.
      if (attempt < MAX_ATTEMPTS && !sameBytes(readRegularSync(target), current)) continue;
      if (opts.secret && current !== null) narrowMode(target);
      const tmp = writeTempSync(target, data, modeFor(target, opts), opts.beside);
      let outcome: Outcome;
      try {
        outcome = replaceIfUnchanged(tmp, target, current, aside);
      } catch (err) {
        discardTemp(tmp);
        throw err;
      }
      if (outcome.kind === 'changed') {
        discardTemp(tmp);
        if (attempt >= MAX_ATTEMPTS || Date.now() > deadline) {
          throw new ServerError('WriteConflict', `${path} keeps being changed by another program; nothing was written. Try again.`, {
            path,
          });
        }
        // At once: the other program has just saved, and its next save is the
        // thing to beat (one caught halfway is waited for by readSettled).
        continue;
      }
      if (outcome.kind === 'overwrote') {
        const theirs = await settledAt(outcome.fd, usable);
        if (theirs) {
          carried = { ours: data, theirs };
          continue;
        }
      }
      return { changed: true, text: next, target };
    }
  }, { beside: opts.beside });
  // Durable once the folder is synced; others may go on meanwhile.
  if (result.changed) syncDir(dirname(result.target));
  return { changed: result.changed, text: result.text };
}

type Outcome = { kind: 'changed' } | { kind: 'replaced' } | { kind: 'overwrote'; fd: number };

/**
 * The check and the swap, with nothing between them but a few system calls
 * (synchronous on purpose: no other task runs in between). A save another
 * program makes meanwhile by renaming its copy in is never replaced (see
 * `swapIn`). A program that had already opened the old file to write into
 * it writes into the replaced copy: that is noticed right after the swap
 * (`overwrote`, with the old file still open), so its save can be folded
 * in rather than lost.
 */
function replaceIfUnchanged(tmp: string, target: string, expected: Buffer | null, aside: string): Outcome {
  let fd: number;
  try {
    fd = openSync(target, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (expected !== null) return { kind: 'changed' };
    return { kind: placeNew(tmp, target) === 'swapped' ? 'replaced' : 'changed' };
  }
  let keepOpen = false;
  try {
    const before = fstatSync(fd);
    if (!before.isFile()) throw notRegularFile(target, before);
    if (expected === null || !readAll(fd, before).equals(expected)) return { kind: 'changed' };
    if (swapIn(tmp, target, before, aside) === 'changed') return { kind: 'changed' };
    const after = fstatSync(fd);
    if (after.size === before.size && after.mtimeMs === before.mtimeMs && readAll(fd, after).equals(expected)) return { kind: 'replaced' };
    keepOpen = true;
    return { kind: 'overwrote', fd };
  } finally {
    if (!keepOpen) closeSync(fd);
  }
}

function readAll(fd: number, s: Stats): Buffer {
  const buf = Buffer.alloc(s.size);
  let n = 0;
  while (n < buf.length) {
    const got = readSync(fd, buf, n, buf.length - n, n);
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

/** Blocks for `ms`: a synchronous pause, for the few moments no other task should run. */
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The content another program wrote into the copy we replaced, once it is
 * whole (usable, and the same on two reads in a row); null if it never
 * becomes usable. Watched closely at first, without yielding: until it is
 * folded in, that save is not in the file, and the program may read the
 * file again any moment. Closes `fd`.
 */
async function settledAt(fd: number, usable: (bytes: Buffer) => boolean): Promise<Buffer | null> {
  try {
    const started = Date.now();
    let last = readAll(fd, fstatSync(fd));
    for (;;) {
      if (Date.now() - started < 250) pause(0.2);
      else await sleep(5);
      const now = readAll(fd, fstatSync(fd));
      if (now.equals(last) && usable(now)) return now;
      if (Date.now() - started > 2000) return usable(now) ? now : null;
      last = now;
    }
  } finally {
    closeSync(fd);
  }
}

function modeFor(target: string, opts: UpdateFileOptions): number {
  try {
    return statSync(target).mode & 0o7777;
  } catch {
    return opts.secret ? 0o600 : (opts.mode ?? 0o644);
  }
}

function narrowMode(target: string): void {
  const mode = statSync(target).mode & 0o7777;
  // Before the write, so the secret never lands in a file others can read.
  if ((mode & 0o077) !== 0) chmodSync(target, 0o600);
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Refuses bytes that wouldn't survive a decode and re-encode: the untouched parts must stay byte for byte. */
function decodeUtf8(bytes: Buffer, path: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ServerError('ConfigInvalid', `${path} is not valid UTF-8 text; fix it by hand, then try again`, { path });
  }
}
