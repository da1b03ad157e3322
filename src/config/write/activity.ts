/**
 * Whether this process has a write under way (waiting for a file's lock or
 * holding it). Kept apart from the write path, which loads on first use:
 * the watcher asks it from start-up on.
 */
let active = 0;
let settled: { promise: Promise<void>; resolve: () => void } | undefined;

export function writeStarted(): void {
  active++;
}

export function writeEnded(): void {
  active--;
  if (active === 0 && settled) {
    settled.resolve();
    settled = undefined;
  }
}

/** Resolves once no write of this process is under way; undefined when none is now. */
export function writesSettled(): Promise<void> | undefined {
  if (active === 0) return undefined;
  if (!settled) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    settled = { promise, resolve };
  }
  return settled.promise;
}
