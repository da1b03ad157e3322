import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FSWatcher } from 'chokidar';

/**
 * The folder to watch for a file: its own folder, or the nearest one that
 * exists (where it may appear). Never the file-system root: chokidar at
 * depth 0 on `/` reports a storm of false events, and a `.env` there is
 * still read, just not watched.
 */
function watchDirFor(file: string): string | null {
  let dir = dirname(file);
  while (!existsSync(dir)) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirname(dir) === dir ? null : dir;
}

/**
 * Watches a changing set of files, including ones that do not exist yet,
 * by watching the folders they live in (one level deep). Reports any
 * appearance, change or removal of a watched file, and the creation or
 * removal of a folder on the way to one.
 */
export class FileSetWatcher {
  private watcher: Promise<FSWatcher> | undefined;
  private files = new Set<string>();
  private dirs = new Set<string>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: (paths: string[]) => void,
    private readonly debounceMs = 25,
  ) {}

  update(files: Iterable<string>): void {
    this.files = new Set(files);
    const dirs = new Set([...this.files].map(watchDirFor).filter((d): d is string => d !== null));
    const add = [...dirs].filter((d) => !this.dirs.has(d));
    const remove = [...this.dirs].filter((d) => !dirs.has(d));
    this.dirs = dirs;
    if (!this.watcher) {
      if (add.length === 0) return;
      // chokidar loads on the first watch, after start-up.
      this.watcher = import('chokidar').then(({ watch }) => {
        const w = watch(add, {
          depth: 0,
          ignoreInitial: true,
          persistent: true,
          // An ancestor folder (home, /tmp, a monorepo root) may hold thousands of entries: track only ours.
          ignored: (path: string) => !this.dirs.has(path) && !this.relevant(path),
        });
        w.on('all', (_event, path) => this.onEvent(path));
        w.on('error', () => {
          // A folder we may not read: nothing to report from it.
        });
        return w;
      });
      return;
    }
    void this.watcher.then((w) => {
      if (remove.length > 0) w.unwatch(remove);
      if (add.length > 0) w.add(add);
    });
  }

  private relevant(path: string): boolean {
    if (this.files.has(path)) return true;
    for (const f of this.files) if (f.startsWith(`${path}/`)) return true;
    return false;
  }

  private onEvent(path: string): void {
    if (!this.relevant(path)) return;
    this.pending.add(path);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.pending];
      this.pending.clear();
      this.onChange(paths);
    }, this.debounceMs);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    const w = await this.watcher;
    this.watcher = undefined;
    await w?.close();
  }
}
