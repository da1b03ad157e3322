import { existsSync, type FSWatcher, watch } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder to watch for a file: its own folder, or the nearest one that
 * exists (where it may appear). Never the file-system root: a `.env` there
 * is still read, just not watched.
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
 *
 * Node's own non-recursive fs.watch on those few folders, rather than
 * chokidar: chokidar scanned every entry of every ancestor folder and raised
 * the server's peak memory by 4 MB (a third of its budget over a bare
 * language server), for events that fs.watch reports just as well here.
 */
export class FileSetWatcher {
  private watchers = new Map<string, FSWatcher>();
  private files = new Set<string>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: (paths: string[]) => void,
    private readonly debounceMs = 25,
  ) {}

  update(files: Iterable<string>): void {
    this.files = new Set(files);
    const dirs = new Set([...this.files].map(watchDirFor).filter((d): d is string => d !== null));
    for (const [dir, w] of this.watchers) {
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: true }, (_event, name) => {
          // Without a name (some platforms), anything in the folder may have changed.
          this.onEvent(name ? join(dir, name.toString()) : dir);
        });
        // A folder that goes away, or that we may not read: the next update replaces it.
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
          this.onEvent(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // Gone between the check and the watch: the parent's event brings us back.
      }
    }
  }

  private relevant(path: string): boolean {
    if (this.files.has(path)) return true;
    for (const f of this.files) if (f.startsWith(`${path}/`)) return true;
    return false;
  }

  private onEvent(path: string): void {
    if (!this.relevant(path) && !this.watchers.has(path)) return;
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
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
