import { closeSync, openSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { leftoverOf, ticketPath } from './leftover-names.js';
import { writerGone } from './liveness.js';

/**
 * The order in which processes waiting for one lock get it. Each waiter
 * leaves a ticket beside the lock (an empty file named by when it came,
 * see `ticketPath`); only the one with the oldest ticket tries to take the
 * lock, so the process that has waited longest goes next. Without it every
 * waiter woke at each release and whichever ran first won: with twenty
 * editors saving, one could lose round after round for half a second.
 *
 * Best effort, never a reason to wait for good: a waiter touches its ticket
 * each time it looks, and a ticket untouched for `TICKET_MAX_AGE_MS` (a
 * waiter that is stuck, or that left without a trace on another machine) is
 * not waited for; the ticket of a waiter on this machine that died is
 * removed by the next one to look.
 */
const TICKET_MAX_AGE_MS = 1000;

export interface Ticket {
  path: string;
  since: number;
}

/** The tickets of the live waiters for `lockPath`, first come first. */
function waiting(lockPath: string): Ticket[] {
  const dir = dirname(lockPath);
  // leftoverOf tells the names by the file the lock is for.
  const file = join(dir, basename(lockPath).replace(/\.lock$/, ''));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Ticket[] = [];
  const now = Date.now();
  for (const name of names) {
    const l = leftoverOf(name, file);
    if (l?.since === undefined) continue;
    const path = join(dir, name);
    let touched: number;
    try {
      touched = statSync(path).mtimeMs;
    } catch {
      continue; // Left meanwhile.
    }
    if (writerGone(l, touched)) rmSync(path, { force: true });
    else if (now - touched <= TICKET_MAX_AGE_MS) out.push({ path, since: l.since });
  }
  return out.sort((a, b) => a.since - b.since || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Whether anyone is waiting for the lock: a newcomer then takes a ticket instead of trying at once. */
export function othersWaiting(lockPath: string): boolean {
  return waiting(lockPath).length > 0;
}

/** Takes a ticket for `lockPath`, dated `since`; null when none can be made there (this waiter then simply tries, as before). */
export function takeTicket(lockPath: string, since: number): Ticket | null {
  const path = ticketPath(lockPath, since);
  try {
    closeSync(openSync(path, 'wx', 0o600));
    return { path, since };
  } catch {
    return null;
  }
}

/**
 * The ticket of the waiter just ahead of this one, or null when it is this
 * one's turn. Each waiter waits for the one just ahead to go, not for the
 * first: so a turn wakes one waiter, not all of them (twenty waiters all
 * looking again at each turn took the cores from the one writing). Touches
 * this one's ticket: it is still waiting.
 */
export function aheadOf(lockPath: string, mine: Ticket): string | null {
  try {
    const now = new Date();
    utimesSync(mine.path, now, now);
  } catch {
    // Swept as a leftover: this waiter just tries, as if it had none.
    return null;
  }
  const ahead = waiting(lockPath).filter((w) => w.path !== mine.path && (w.since < mine.since || (w.since === mine.since && w.path < mine.path)));
  return ahead.at(-1)?.path ?? null;
}

export function dropTicket(t: Ticket | null): void {
  if (t) rmSync(t.path, { force: true });
}
