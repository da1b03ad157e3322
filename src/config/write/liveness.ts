import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as z from 'zod/mini';
import type { Leftover } from './leftover-names.js';

/**
 * Who holds a lock: enough to tell, on this machine, that the holder has
 * died, even once its pid has been given to another process (`start` is the
 * kernel's start time of that pid; a reused pid has another).
 */
export interface Holder {
  pid: number;
  host: string;
  start?: string | undefined;
}

const HolderRecord = z.object({
  holder: z.literal('qwen-agent-server'),
  pid: z.number().check(z.int(), z.positive()),
  host: z.string(),
  start: z.optional(z.string()),
});

let record: string | undefined;

/** The record this process writes into the locks it takes. */
export function holderRecord(): string {
  if (record === undefined) {
    const start = startToken(process.pid);
    record = `${JSON.stringify({ holder: 'qwen-agent-server', pid: process.pid, host: hostname(), ...(start ? { start } : {}) })}\n`;
  }
  return record;
}

/**
 * The holder a lock's content names, or null when it names none we can
 * judge (Qwen Code writes a random UUID). A bare pid is what earlier
 * versions of this server wrote into `oauth_creds.lock`.
 */
export function parseHolder(text: string): Holder | null {
  const bare = /^\s*(\d{1,10})\s*$/.exec(text);
  if (bare) return { pid: Number(bare[1]), host: hostname() };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = HolderRecord.safeParse(raw);
  return r.success ? { pid: r.data.pid, host: r.data.host, start: r.data.start } : null;
}

/** True only when the holder certainly no longer runs: on another machine nothing can be told. */
export function holderIsDead(h: Holder): boolean {
  if (h.host !== hostname()) return false;
  if (!pidAlive(h.pid)) return true;
  if (h.start === undefined) return false;
  const now = startToken(h.pid);
  return now !== undefined && now !== h.start;
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    // A process killed a moment ago may still be there as a zombie, waiting for its parent: it runs no more.
    return !isZombie(pid);
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process now running as `pid` began after `ms` (epoch), i.e.
 * it is not the one that was running then. Undefined where it can't be
 * told (no /proc).
 */
export function startedAfter(pid: number, ms: number): boolean | undefined {
  const ticks = Number(startToken(pid));
  const boot = bootTimeMs();
  if (!Number.isFinite(ticks) || boot === undefined) return undefined;
  // /proc counts in USER_HZ, which Linux fixes at 100 on every common architecture.
  return boot + ticks * 10 > ms + 1000;
}

/** Field 3 of /proc/<pid>/stat, the state: Z (zombie) or X (dead). False where it can't be told. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function startToken(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let bootMs: number | null | undefined;
function bootTimeMs(): number | undefined {
  if (bootMs === undefined) {
    try {
      const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      bootMs = m ? Number(m[1]) * 1000 : null;
    } catch {
      bootMs = null;
    }
  }
  return bootMs ?? undefined;
}

/** A leftover this old has no live writer, wherever it was written: a write takes milliseconds. */
const ABANDONED_MS = 10 * 60_000;

/** Whether the writer that left `l` (last touched at `mtimeMs`) is certainly gone. */
export function writerGone(l: Leftover, mtimeMs: number): boolean {
  if (Date.now() - mtimeMs > ABANDONED_MS) return true;
  if (!l.local) return false;
  // A live pid may belong to a newer process that took the dead writer's number.
  return !pidAlive(l.pid) || startedAfter(l.pid, mtimeMs) === true;
}
