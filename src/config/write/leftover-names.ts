import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { realFolder } from '../trust.js';
import { asideName, SCRATCH } from './scratch.js';

/**
 * Where a writer puts what it needs for a moment while it writes a file
 * (the temp file of its next content, its lock, a lock being made or put
 * aside), and what those are called. Each name carries its writer's pid and
 * machine, so that what a dead writer left can be told from what a live
 * one is still using.
 *
 * They go in a scratch folder inside the file's folder (`SCRATCH`), not
 * beside the file: every editor's server watches the folders of the
 * settings files, and each name appearing there costs each of them a look
 * at the folder; a save then shows there as changes of the file's own name
 * only. In the home
 * folder itself (`~/.env`) they stay beside the file, so as not to add a
 * folder to it.
 */

export { SCRATCH } from './scratch.js';

/** 2 bytes from the host name: leftovers of another machine sharing this folder are not judged by our pids. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 4);

const tag = () => `${process.pid}.${HOST_TAG}${randomBytes(2).toString('hex')}`;

/**
 * The folder a writer of `target` works in, created when missing: the
 * scratch folder, or the file's own folder (the home folder, or a scratch
 * path that is not a plain folder of ours, such as a link a repository
 * planted, which is never written through).
 */
export function workFolderOf(target: string): string {
  const dir = dirname(target);
  if (isHome(dir)) return dir;
  const scratch = join(dir, SCRATCH);
  for (let tries = 0; tries < 2; tries++) {
    try {
      return lstatSync(scratch).isDirectory() ? scratch : dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return dir;
    }
    try {
      mkdirSync(scratch, { mode: 0o700 });
    } catch (err) {
      // Made by another writer meanwhile: look again. Anything else (a read-only folder): beside the file.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return dir;
    }
  }
  return dir;
}

/** Whether `dir` is the home folder, however either is spelled (a target's folder is a real path; HOME may be a link). */
function isHome(dir: string): boolean {
  return resolve(dir) === resolve(homedir()) || realFolder(dir) === realFolder(homedir());
}

/**
 * Where a writer of `target` works: its work folder, or with `beside`
 * (a file in a folder nobody watches, such as the server's own state) the
 * file's own folder.
 */
const workingIn = (target: string, beside: boolean) => (beside ? dirname(target) : workFolderOf(target));

/** `.<name>.<pid>.<tag>.tmp` in the work folder of `target`. */
export function tempPathFor(target: string, beside = false): string {
  return join(workingIn(target, beside), `.${basename(target)}.${tag()}.tmp`);
}

/**
 * `.<name>.aside` in the work folder of `target`: where a writer holding
 * the lock puts the file for the moment it takes to link its new copy in
 * (see `swapIn`). One name per file, not one per writer, so that a reader
 * that finds the file missing can look there with a single stat.
 */
export function asidePathFor(target: string, beside = false): string {
  return join(workingIn(target, beside), asideName(target));
}

/** The lock folder of `target`: `<name>.lock` in its work folder. */
export function lockPathFor(target: string, beside = false): string {
  return join(workingIn(target, beside), `${basename(target)}.lock`);
}

/** `<lock>.<pid>.<tag>.new` (being made) or `.old` (put aside, being deleted). */
export function besideLockPath(lockPath: string, what: 'new' | 'old'): string {
  return `${lockPath}.${tag()}.${what}`;
}

/** `<lock>.<pid>.<tag>.<since>.wait`: a waiter's ticket (queue.ts), `since` when it came (epoch ms). */
export function ticketPath(lockPath: string, since: number): string {
  return `${lockPath}.${tag()}.${since}.wait`;
}

export interface Leftover {
  pid: number;
  /** Written on this machine: its pid can be checked. */
  local: boolean;
  /** For a waiter's ticket (see `ticketPath`): when it came. */
  since?: number;
}

/** What `entry` (a name in a work folder of `file`) is, if it is something a writer of `file` leaves behind. */
export function leftoverOf(entry: string, file: string): Leftover | null {
  const name = basename(file);
  const m = new RegExp(`^(?:\\.${escape(name)}\\.(\\d+)\\.([0-9a-f]{4})[0-9a-f]{4}\\.tmp|${escape(name)}\\.lock\\.(\\d+)\\.([0-9a-f]{4})[0-9a-f]{4}\\.(?:new|old|(\\d+)\\.wait))$`).exec(entry);
  if (!m) return null;
  return { pid: Number(m[1] ?? m[3]), local: (m[2] ?? m[4]) === HOST_TAG, ...(m[5] ? { since: Number(m[5]) } : {}) };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
