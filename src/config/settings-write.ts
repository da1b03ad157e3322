/**
 * Every write to a settings file goes through here: a file Qwen Code could
 * not read is refused, and a file in an old format is migrated on the way,
 * as Qwen Code would migrate it, in the same edit as the write's own.
 */
import { ServerError } from '../protocol/index.js';
import { type Migration, migratedWarning, migrationEdits } from './migrate.js';
import { readText } from './read-text.js';
import { lineStarts, positionAt } from './text-position.js';
import { lineColumn, trailingCommas } from './trailing-commas.js';
import type { JsonEdit } from './write/index.js';

export type SettingsEdits = readonly JsonEdit[] | ((current: unknown) => readonly JsonEdit[]);

export interface SettingsWriteResult {
  changed: boolean;
  /** Sentences for the answer's `warnings`: what was migrated on the way. */
  warnings: string[];
}

/**
 * jsonc-parser, which the write path edits with, takes a trailing comma;
 * Qwen Code does not, so neither does a write. Checked before the write's
 * lock: a comma added in between is the write path's to judge.
 */
async function refuseTrailingCommas(path: string): Promise<void> {
  const read = await readText(path, 'settings');
  if (read.kind !== 'text') return;
  try {
    JSON.parse(read.text);
    return;
  } catch {
    // Comments, a trailing comma, or an error the write path reports itself.
  }
  const [first] = trailingCommas(read.text);
  if (first === undefined) return;
  const where = lineColumn(positionAt(lineStarts(read.text), first));
  throw new ServerError('ConfigInvalid', `${path} has a trailing comma at ${where}, which Qwen Code cannot parse; remove it, then try again`, {
    path,
    hint: 'remove the comma before the closing } or ]',
  });
}

/**
 * `editJsoncFile` for settings files: the edits, after those that migrate
 * the file's current contents; a function of the contents sees them migrated.
 */
export async function editSettingsFile(path: string, edits: SettingsEdits): Promise<SettingsWriteResult> {
  await refuseTrailingCommas(path);
  const { editJsoncFile } = await import('./write/index.js');
  let migration: Migration | null = null;
  const r = await editJsoncFile(path, (current) => {
    const m = migrationEdits(current);
    migration = m.migration;
    return [...m.edits, ...(typeof edits === 'function' ? edits(m.migration?.settings ?? current) : edits)];
  });
  const done = migration as Migration | null;
  return { changed: r.changed, warnings: done && r.changed ? [migratedWarning(path, done)] : [] };
}
