import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  type ConfigGraph,
  type ConfigInputs,
  FILE_START,
  type LastGood,
  type OAuthView,
  type Overrides,
  resolveConfig,
  type SessionSelection,
} from '../config/index.js';
import { writesSettled } from '../config/write/activity.js';
import type { Diagnostic, ModelRef } from '../protocol/index.js';
import { FileSetWatcher, signaturesNow } from './watcher.js';

export interface Notifier {
  notify(method: string, params: unknown): void;
}

export type RecomputeListener = (before: ConfigGraph, after: ConfigGraph, changedPaths: string[]) => void;

/** The longest a change seen on disk waits for this process's own write (one stuck behind a lock, say). */
const MAX_DEFER_MS = 1000;

const LSP_SEVERITY = { error: 1, warning: 2, information: 3, hint: 4 } as const;

function sameSelection(a: ModelRef | null, b: ModelRef | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface PendingRecompute {
  paths: Set<string>;
  fromDisk: boolean;
  run: Promise<ConfigGraph>;
}

/**
 * The live config graph of one server process: recomputed on every input
 * change (files on disk, session choices), with the client told what changed.
 */
export class WorkspaceState {
  private current!: ConfigGraph;
  private readonly lastGood: LastGood = new Map();
  private session: SessionSelection | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FileSetWatcher | undefined;
  private published = new Map<string, string>();
  private listeners: RecomputeListener[] = [];
  private recheck: NodeJS.Timeout | undefined;
  /** What the files were at the first read, for the watcher (see FileSetWatcher.update). */
  private baseline: Map<string, string> | undefined;
  /** The recompute queued behind the running one, not started yet. */
  private waiting: PendingRecompute | undefined;

  constructor(
    private readonly inputs: Omit<ConfigInputs, 'session' | 'oauth'>,
    private readonly oauthView: () => OAuthView,
    private readonly notifier: Notifier | undefined,
  ) {}

  get graph(): ConfigGraph {
    return this.current;
  }

  get overrides(): Overrides {
    return this.inputs.overrides;
  }

  get processEnv(): NodeJS.ProcessEnv {
    return this.inputs.processEnv;
  }

  onRecompute(l: RecomputeListener): void {
    this.listeners.push(l);
  }

  async init(): Promise<ConfigGraph> {
    this.current = await this.compute();
    this.baseline = signaturesNow(this.current.watched);
    this.publishDiagnostics(this.current.diagnostics);
    return this.current;
  }

  /** Starts watching the input files; changes reach the client as notifications. */
  watch(): void {
    this.watcher ??= new FileSetWatcher((paths) => {
      // Not while this process has a write under way (for at most a second):
      // reading the files now would only delay that write, and the look after
      // it sees this change too. Twenty editors saving, each one's turn at a
      // lock came late while it was reading what the others had saved.
      const writing = writesSettled();
      if (!writing) void this.recompute(paths, true);
      else void Promise.race([writing, sleep(MAX_DEFER_MS, undefined, { ref: false })]).then(() => this.recompute(paths, true));
    });
    this.watcher.update(this.current.watched, this.baseline);
    this.baseline = undefined;
  }

  setSessionSelection(sel: SessionSelection | undefined): void {
    this.session = sel;
  }

  get sessionSelection(): SessionSelection | undefined {
    return this.session;
  }

  private compute(): Promise<ConfigGraph> {
    return resolveConfig({ ...this.inputs, session: this.session, oauth: this.oauthView() }, this.lastGood);
  }

  /**
   * Recomputes (serialised), then notifies: model/didChange, diagnostics,
   * config/didChange for file changes. A request made while another
   * recompute waits to start joins it: that one will read everything there
   * is to read now, and a burst of changes (twenty editors saving) costs
   * one recompute, not a queue of them that a model/select waits behind.
   */
  recompute(changedPaths: string[] = [], fromDisk = false): Promise<ConfigGraph> {
    const waiting = this.waiting;
    if (waiting) {
      for (const p of changedPaths) waiting.paths.add(p);
      waiting.fromDisk ||= fromDisk;
      return waiting.run;
    }
    const next: PendingRecompute = { paths: new Set(changedPaths), fromDisk, run: undefined as unknown as Promise<ConfigGraph> };
    this.waiting = next;
    next.run = this.queue.then(() => {
      if (this.waiting === next) this.waiting = undefined;
      return this.recomputeNow([...next.paths], next.fromDisk);
    });
    this.queue = next.run.catch(() => undefined);
    return next.run;
  }

  private async recomputeNow(changedPaths: string[], fromDisk: boolean): Promise<ConfigGraph> {
    const before = this.current;
    const after = await this.compute();
    this.current = after;
    if (this.watcher) this.watcher.update(after.watched);
    this.publishDiagnostics(after.diagnostics);
    if (fromDisk) this.notifier?.notify('config/didChange', { paths: changedPaths });
    if (!sameSelection(before.selection, after.selection)) {
      this.notifier?.notify('model/didChange', { selected: after.selection });
    }
    for (const l of this.listeners) l(before, after, changedPaths);
    if (fromDisk) this.recheckPartialWrites(after);
    return after;
  }

  /**
   * A file read while an editor was still writing it looks broken, and the
   * watcher may fold the rest of that write into the event already handled:
   * look once more, a moment later.
   */
  private recheckPartialWrites(g: ConfigGraph, vanishedOnly = false): void {
    const broken = g.files.filter((f) => (!vanishedOnly && f.parseError) || f.vanishedAt !== undefined).map((f) => f.path);
    if (broken.length === 0 || this.recheck) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      // Not from a watcher event: no config/didChange, and no further re-check of a broken file. A file
      // that went while this look was already due may still be in its grace: look once more, after it.
      void this.recompute(broken).then((after) => this.recheckPartialWrites(after, true), () => undefined);
    }, 250);
    this.recheck.unref();
  }

  private publishDiagnostics(diags: Diagnostic[]): void {
    if (!this.notifier) return;
    const byPath = new Map<string, Diagnostic[]>();
    for (const d of diags) {
      const list = byPath.get(d.path);
      if (list) list.push(d);
      else byPath.set(d.path, [d]);
    }
    const paths = new Set([...byPath.keys(), ...this.published.keys()]);
    for (const path of paths) {
      const list = (byPath.get(path) ?? []).map((d) => ({
        range: d.range ?? FILE_START,
        severity: LSP_SEVERITY[d.severity],
        source: 'qwen-agent',
        message: d.message,
      }));
      const key = JSON.stringify(list);
      if ((this.published.get(path) ?? '[]') === key) continue;
      if (list.length === 0) this.published.delete(path);
      else this.published.set(path, key);
      this.notifier.notify('textDocument/publishDiagnostics', { uri: pathToFileURL(path).href, diagnostics: list });
    }
  }

  async dispose(): Promise<void> {
    clearTimeout(this.recheck);
    await this.watcher?.close();
  }
}
