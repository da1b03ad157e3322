import { existsSync, lstatSync, realpathSync, type Stats, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

/** The files that those of `files` that are symbolic links point to, each → its link. */
function linkTargets(files: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    try {
      if (!lstatSync(f).isSymbolicLink()) continue;
      const real = realpathSync(f);
      if (real !== f) out.set(real, f);
    } catch {
      // Missing, or a dangling link: its folder's own events tell when that changes.
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

/**
 * A second look at the files just reported, this long after: a write still
 * going on when they were read (its last event folded into the report) is
 * caught by it.
 */
const SETTLE_MS = 75;
/**
 * How often changes are reported while they keep coming. The first change
 * after a quiet spell goes out after the debounce alone; later ones are
 * gathered, for `MIN_INTERVAL_MS` at first, twice as long after each
 * report that gathered more than one save, up to `MAX_INTERVAL_MS`, and
 * back to the start after one that gathered a single save, or a quiet
 * spell. Each report makes every server read all its files again: twenty
 * of them doing so for each of ten saves a second (twenty editors saving)
 * is what kept a machine's two cores busy and the saves themselves slow. A person changing a file now and then sees each change
 * at once; in such a storm, a server is at most a second behind.
 */
const MIN_INTERVAL_MS = 250;
const MAX_INTERVAL_MS = 1000;

/**
 * Watches a changing set of files, including ones that do not exist yet,
 * and reports any appearance, change or removal of one, and the creation
 * or removal of a folder on the way to one.
 *
 * chokidar, loaded when watching starts (not at start-up), watches the
 * folders only (see watchTarget): depth 0, no initial scan, every entry in
 * them ignored, no polling, and what changed is read from its raw events
 * (the folder's own change events name the entry). So a save costs each
 * server one event and nothing more: watching the files as well, chokidar
 * gave every save to a second watcher, which looked at the file and
 * watched its new inode anew, and twenty servers doing that for each of ten
 * saves a second kept two cores busy. A folder is listed by chokidar at
 * most once a second, never up front: listing every ancestor of the
 * project at start is what made chokidar cost 4 MB of peak memory before.
 * When the paths to watch change (a file or folder appeared or went), a new
 * watcher replaces the old one once it is ready: chokidar's `unwatch`
 * leaves paths ignored, and its fallback for a missing path only works one
 * level deep (see watchTarget).
 */
export class FileSetWatcher {
  private files = new Set<string>();
  private onTheWay = new Set<string>();
  /** The folders watched, and the ones they are watched for in (a missing target is watched for in its parent): all chokidar may look at. */
  private watchable = new Set<string>();
  /** The file each watched link points to (watched in its own folder: a link's folder sees no edit of the file) → the link. */
  private linkedFrom = new Map<string, string>();
  private key = '';
  private watcher: FSWatcher | undefined;
  private swaps: Promise<void> = Promise.resolve();
  /** Changed paths not reported yet. */
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** When changes were last reported. */
  private lastFired = -Infinity;
  /** How long changes are gathered now (see MIN_INTERVAL_MS). */
  private interval = MIN_INTERVAL_MS;
  /** Saves seen since the last report, and when the last event came. */
  private saves = 0;
  private lastEventAt = -Infinity;
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
    this.linkedFrom = linkTargets(this.files);
    const targets = new Set<string>();
    for (const f of [...this.files, ...this.linkedFrom.keys()]) {
      const t = watchTarget(f);
      if (t) targets.add(t);
    }
    // A folder watched for while missing is watched anew once it exists: chokidar would not look inside it.
    const key = [...targets].map((t) => `${existsSync(t) ? '+' : '-'}${t}`).sort().join('\n');
    if (key === this.key) return;
    this.key = key;
    const paths = [...targets];
    this.watchable = new Set([...paths, ...paths.map((p) => dirname(p))]);
    this.swaps = this.swaps.then(() => this.replace(paths)).catch(() => undefined);
  }

  private async replace(paths: string[]): Promise<void> {
    const { watch } = await import('chokidar');
    if (this.closed) return;
    const next = watch(paths, {
      depth: 0,
      ignoreInitial: true,
      usePolling: false,
      ignored: (path: string) => !this.watchable.has(path),
    });
    next.on('raw', (_event: string, name: unknown, details: unknown) => this.onRaw(name, details));
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
      if (now[i] !== baseline.get(f)) this.onEvent(f);
    });
  }

  /** An event of a watched folder: `name` is the entry it is about (none: anything in it may have changed). */
  private onRaw(name: unknown, details: unknown): void {
    const folder = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (typeof folder !== 'string') return;
    const changed = typeof name === 'string' && name !== '' ? [join(folder, name)] : [...this.onTheWay, ...this.linkedFrom.keys()].filter((p) => dirname(p) === folder);
    for (const p of changed) this.onEvent(this.linkedFrom.get(p) ?? p);
  }

  private onEvent(path: string): void {
    if (this.closed || !this.onTheWay.has(path)) return;
    this.pending.add(path);
    clearTimeout(this.timer);
    const now = performance.now();
    if (this.pending.size === 1 && now - this.lastFired > this.interval) this.interval = MIN_INTERVAL_MS;
    // Events further apart than the debounce are separate saves (one save by truncate-then-write makes two at once).
    if (now - this.lastEventAt > this.debounceMs) this.saves++;
    this.lastEventAt = now;
    const wait = Math.max(this.debounceMs, this.lastFired + this.interval - now);
    this.timer = setTimeout(() => void this.fire(), wait);
  }

  /**
   * Reports, then looks at the changed files once more (see SETTLE_MS): a
   * write that was still going on when they were read, and whose last
   * events came before the report, would otherwise go unseen until the
   * next one.
   */
  private async fire(): Promise<void> {
    const changed = [...this.pending];
    this.pending.clear();
    // Saves came faster than they were reported: gather for longer. One save held back, no.
    this.interval = this.saves > 1 ? Math.min(this.interval * 2, MAX_INTERVAL_MS) : MIN_INTERVAL_MS;
    this.saves = 0;
    this.lastFired = performance.now();
    const files = changed.filter((p) => this.files.has(p));
    // What each file is before it is read: a write still going on then shows in the look below.
    const seen = await Promise.all(files.map(signature));
    if (this.closed) return;
    this.onChange(changed);
    await new Promise((r) => setTimeout(r, SETTLE_MS).unref());
    if (this.closed) return;
    const now = await Promise.all(files.map(signature));
    files.forEach((f, i) => {
      if (now[i] !== seen[i]) this.onEvent(f);
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
