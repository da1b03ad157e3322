import { existsSync, type FSWatcher, watch } from 'node:fs';

interface LockWatch {
  watcher: FSWatcher;
  wakers: Set<() => void>;
}

/** One watcher per lock, shared by every waiter of this process. */
const locks = new Map<string, LockWatch>();

/**
 * Resolves when the lock at `lockPath` (a folder or a file, or a waiter's
 * ticket) has gone, or after `ms`. The lock itself is watched, not its
 * folder, so a waiter wakes when the lock is renamed away or deleted, not
 * for every other file written beside it. The timer is what notices a
 * holder that died (no event comes for that) and covers file systems
 * without change events.
 */
export function waitForRelease(lockPath: string, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let entry = locks.get(lockPath);
    if (!entry) {
      let watcher: FSWatcher;
      try {
        // Only its going counts: a ticket is touched at every look of its waiter, a lock folder by its holder now and then.
        watcher = watch(lockPath, { persistent: false }, () => {
          if (!existsSync(lockPath)) wakeAll(lockPath);
        });
      } catch {
        // Gone already; or it can't be watched here, and the timer alone will do.
        setTimeout(resolve, existsSync(lockPath) ? ms : 0);
        return;
      }
      watcher.on('error', () => wakeAll(lockPath));
      entry = { watcher, wakers: new Set() };
      locks.set(lockPath, entry);
    }
    const e = entry;
    const wake = () => {
      clearTimeout(timer);
      e.wakers.delete(wake);
      resolve();
    };
    const timer = setTimeout(() => {
      wake();
      if (e.wakers.size === 0 && locks.get(lockPath) === e) {
        locks.delete(lockPath);
        e.watcher.close();
      }
    }, ms);
    e.wakers.add(wake);
  });
}

/** Whatever happened to the lock, every waiter looks again; the next wait watches whatever lock is there then. */
function wakeAll(lockPath: string): void {
  const entry = locks.get(lockPath);
  if (!entry) return;
  locks.delete(lockPath);
  entry.watcher.close();
  for (const w of [...entry.wakers]) w();
}
