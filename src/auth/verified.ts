import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import * as z from 'zod/mini';
import { readTextSync, writes } from '../config/index.js';
import type { AuthType } from '../protocol/index.js';

/**
 * What the provider last said about a key: accepted (true) or refused
 * (false). Keyed by a fingerprint (a hash of the key), so the key itself is
 * neither held here nor written anywhere; a key edited by hand gets a new
 * fingerprint and so no verdict until something checks it again.
 *
 * Kept in this process and, once `keepVerdictsIn` names a file, shared with
 * every other process through it (two editors, the `env` command): the
 * newer verdict wins, whoever made it.
 */
export interface KeyIdentity {
  authType: AuthType;
  envKey?: string;
  apiKey: string;
}

interface Verdict {
  ok: boolean;
  /** Epoch milliseconds. */
  at: number;
}

const VerdictFile = z.object({
  version: z.literal(1),
  verdicts: z.record(z.string(), z.object({ ok: z.boolean(), at: z.number() })),
});

/** The file keeps the newest verdicts only: one per key ever checked would grow without end. */
const MAX_KEPT = 500;

const own = new Map<string, Verdict>();
let file: string | undefined;
let onDisk: { size: number; mtimeMs: number; verdicts: Map<string, Verdict> } | undefined;
let saving: Promise<unknown> = Promise.resolve();

function fingerprint(c: KeyIdentity): string {
  const digest = createHash('sha256').update(c.apiKey).digest('base64url').slice(0, 22);
  return `${c.authType}\u0000${c.envKey ?? ''}\u0000${digest}`;
}

/** Shares verdicts through `path` (under the server's state folder). */
export function keepVerdictsIn(path: string): void {
  file = path;
  onDisk = undefined;
}

function parse(text: string | null): Map<string, Verdict> {
  if (!text) return new Map();
  try {
    const r = VerdictFile.safeParse(JSON.parse(text));
    return r.success ? new Map(Object.entries(r.data.verdicts)) : new Map();
  } catch {
    // Not ours, or cut short: it is only a record, start it again.
    return new Map();
  }
}

/** The file's verdicts, read again only when it changed (a stat, no thread pool). */
function fromDisk(): Map<string, Verdict> {
  if (!file) return new Map();
  let st;
  try {
    st = statSync(file);
  } catch {
    return new Map();
  }
  if (onDisk && onDisk.size === st.size && onDisk.mtimeMs === st.mtimeMs) return onDisk.verdicts;
  const read = readTextSync(file, 'verdicts');
  const verdicts = parse(read.kind === 'text' ? read.text : null);
  onDisk = { size: st.size, mtimeMs: st.mtimeMs, verdicts };
  return verdicts;
}

function save(fp: string, v: Verdict): void {
  const path = file;
  if (!path) return;
  saving = saving.then(async () => {
    const { updateFileLocked } = await writes();
    await updateFileLocked(
      path,
      (current) => {
        const all = parse(current);
        const known = all.get(fp);
        if (known && known.at > v.at) return null;
        all.set(fp, v);
        const newest = [...all].sort((a, b) => b[1].at - a[1].at).slice(0, MAX_KEPT);
        return `${JSON.stringify({ version: 1, verdicts: Object.fromEntries(newest) })}\n`;
      },
      // The state folder is ours alone and nobody watches it: no scratch folder in it.
      { secret: true, beside: true },
    );
  }).catch(() => {
    // A record nobody can write (a read-only HOME) only means other processes do not learn of this verdict.
  });
}

/** `share: false` keeps the verdict in this process: for a key that is stored nowhere, so no other process can meet it. */
export function recordVerdict(c: KeyIdentity, ok: boolean, opts: { share?: boolean } = {}): void {
  if (!c.apiKey) return;
  const fp = fingerprint(c);
  const v = { ok, at: Date.now() };
  own.set(fp, v);
  if (opts.share !== false) save(fp, v);
}

export function verdictFor(c: KeyIdentity): boolean | undefined {
  if (!c.apiKey) return undefined;
  const fp = fingerprint(c);
  const mine = own.get(fp);
  const theirs = fromDisk().get(fp);
  const newest = mine && theirs ? (theirs.at > mine.at ? theirs : mine) : (mine ?? theirs);
  return newest?.ok;
}

/** Resolves once every verdict recorded so far is on disk (tests, and the CLI before it exits). */
export function verdictsSaved(): Promise<unknown> {
  return saving;
}
