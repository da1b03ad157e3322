import { existsSync, type Stats, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FSWatcher } from 'chokidar';

/**
 * What chokidar watches for one file: the folder it is in when that exists
 * (a file's own watch follows its inode, so once the file is renamed away,
 * as Qwen Code and editors save, its later changes would go unseen), else
 * the first missing folder on the way, watched for in the nearest folder
 * that exists. Nothing in the file-system root: a `.env` there is still
 * read, just not watched.
 */
function watchTarget(file: string): string | null {
  let path = file;
  for (;;) {
    const dir = dirname(path);
    if (dirname(dir) === dir) return null;
    if (existsSync(dir)) return path === file ? dir : path;
    path = dir;
  }
}

function withAncestors(files: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const f of files) {
    for (let p = f; !out.has(p); p = dirname(p)) {
      out.add(p);
      if (dirname(p) === p) break;
    }
  }
  return out;
}

/** Changes when a file is written or replaced. */
const signatureOf = (s: Stats | undefined) => (s ? `${s.ino}:${s.size}:${s.mtimeMs}` : 'missing');
const signature = (path: string) => stat(path).then(signatureOf, () => 'missing');

/** What each file is now: taken right after the files were read, it lets the first watcher see what changed before it was up. */
export function signaturesNow(files: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    try {
      out.set(f, signatureOf(statSync(f)));
    } catch {
      out.set(f, 'missing');
    }
  }
  return out;
}

/** chokidar passes on one change of a file per 50 ms and drops the rest. */
const SETTLE_MS = 75;
/**
 * Changes are reported at most this often. The first change after a quiet
 * spell goes out after the debounce alone; while changes keep coming (many
 * editors saving), they are gathered: each report makes every server read
 * all its files again, and twenty of them doing so for each of ten saves a
 * second is what kept a machine's cores busy and the saves themselves slow.
 */
const MIN_INTERVAL_MS = 250;

/**
 * Watches a changing set of files, including ones that do not exist yet,
 * and reports any appearance, change or removal of one, and the creation
 * or removal of a folder on the way to one.
 *
 * chokidar, loaded when watching starts (not at start-up), watches paths,
 * not trees: depth 0, no initial scan, every name but the files and the
 * folders on their way ignored, no polling. A folder is listed only when
 * something in it changes (chokidar: at most once a second), never up
 * front: listing every ancestor of the project at start is what made
 * chokidar cost 4 MB of peak memory before. When the paths to watch change
 * (a file or folder appeared or went), a new watcher replaces the old one
 * once it is ready: chokidar's `unwatch` leaves paths ignored, and its
 * fallback for a missing path only works one level deep (see watchTarget).
 */
export class FileSetWatcher {
  private files = new Set<string>();
  private onTheWay = new Set<string>();
  private key = '';
  private watcher: FSWatcher | undefined;
  private swaps: Promise<void> = Promise.resolve();
  /** Changed paths not reported yet, with what chokidar saw of each (taken before its event, so before any read). */
  private pending = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** When changes were last reported. */
  private lastFired = -Infinity;
  /** What the files were when last read, until the first watcher is up (then empty: later watchers take over from a running one). */
  private baseline: Map<string, string> | undefined;

  constructor(
    private readonly onChange: (paths: string[]) => void,
    private readonly debounceMs = 25,
  ) {}

  /**
   * Watches `files` from now on. `baseline` (signaturesNow, taken when the
   * files were read) is for the first call: chokidar takes a while to start,
   * and a file saved meanwhile would go unseen until its next change.
   */
  update(files: Iterable<string>, baseline?: Map<string, string>): void {
    this.baseline ??= baseline;
    this.files = new Set(files);
    this.onTheWay = withAncestors(this.files);
    const targets = new Set<string>();
    for (const f of this.files) {
      const t = watchTarget(f);
      if (t) targets.add(t);
    }
    // A folder watched for while missing is watched anew once it exists: chokidar would not look inside it.
    const key = [...targets].map((t) => `${existsSync(t) ? '+' : '-'}${t}`).sort().join('\n');
    if (key === this.key) return;
    this.key = key;
    const paths = [...targets];
    this.swaps = this.swaps.then(() => this.replace(paths)).catch(() => undefined);
  }

  private async replace(paths: string[]): Promise<void> {
    const { watch } = await import('chokidar');
    if (this.closed) return;
    const next = watch(paths, {
      depth: 0,
      ignoreInitial: true,
      usePolling: false,
      ignored: (path: string) => !this.onTheWay.has(path),
    });
    next.on('all', (_event, path, stats) => this.onEvent(path, signatureOf(stats)));
    // A folder that went away, or that we may not read: the next update replaces this watcher.
    next.on('error', () => undefined);
    await new Promise<void>((ready) => {
      next.once('ready', ready);
      setTimeout(ready, 1000).unref();
    });
    const old = this.watcher;
    this.watcher = next;
    await old?.close();
    if (this.closed) {
      await next.close();
      return;
    }
    await this.catchUp();
  }

  /** Reports what changed between the read the baseline was taken at and the first watcher being up. */
  private async catchUp(): Promise<void> {
    const baseline = this.baseline;
    if (!baseline) return;
    this.baseline = new Map();
    const files = [...baseline.keys()];
    const now = await Promise.all(files.map(signature));
    files.forEach((f, i) => {
      if (now[i] !== baseline.get(f)) this.onEvent(f, now[i]!);
    });
  }

  private onEvent(path: string, seen: string): void {
    if (this.closed || !this.onTheWay.has(path)) return;
    this.pending.set(path, seen);
    clearTimeout(this.timer);
    const wait = Math.max(this.debounceMs, this.lastFired + MIN_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => void this.fire(), wait);
  }

  /**
   * Reports, then looks at the changed files once more after chokidar's
   * 50 ms window: a write that ended inside it (its event dropped) would
   * otherwise go unseen until the next one.
   */
  private async fire(): Promise<void> {
    const seen = new Map(this.pending);
    this.pending.clear();
    this.lastFired = performance.now();
    this.onChange([...seen.keys()]);
    const files = [...seen.keys()].filter((p) => this.files.has(p));
    await new Promise((r) => setTimeout(r, SETTLE_MS).unref());
    if (this.closed) return;
    const now = await Promise.all(files.map(signature));
    files.forEach((f, i) => {
      if (now[i] !== seen.get(f)) this.onEvent(f, now[i]!);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.swaps;
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
