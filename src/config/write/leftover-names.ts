import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Names of what a writer puts beside a file for a moment: the temp file
 * of its next content, and a lock being made or put aside. Each names its
 * writer's pid and machine, so that what a dead writer left can be told
 * from what a live one is still using.
 */

/** 2 bytes from the host name: leftovers of another machine sharing this folder are not judged by our pids. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 4);

const tag = () => `${process.pid}.${HOST_TAG}${randomBytes(2).toString('hex')}`;

/** `.<name>.<pid>.<tag>.tmp` beside `target`. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${tag()}.tmp`);
}

/** `<lock>.<pid>.<tag>.new` (being made) or `.old` (put aside, being deleted). */
export function besideLockPath(lockPath: string, what: 'new' | 'old'): string {
  return `${lockPath}.${tag()}.${what}`;
}

export interface Leftover {
  pid: number;
  /** Written on this machine: its pid can be checked. */
  local: boolean;
}

/** What `entry` (a name in the folder of `file`) is, if it is something a writer of `file` leaves behind. */
export function leftoverOf(entry: string, file: string): Leftover | null {
  const name = basename(file);
  const m = new RegExp(`^(?:\\.${escape(name)}\\.(\\d+)\\.([0-9a-f]{4})[0-9a-f]{4}\\.tmp|${escape(name)}\\.lock\\.(\\d+)\\.([0-9a-f]{4})[0-9a-f]{4}\\.(?:new|old))$`).exec(entry);
  if (!m) return null;
  return { pid: Number(m[1] ?? m[3]), local: (m[2] ?? m[4]) === HOST_TAG };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
