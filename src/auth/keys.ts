import { join } from 'node:path';
import { type ConfigGraph, homeDotenvForWrite, readDotenv, writes } from '../config/index.js';
import { ServerError } from '../protocol/index.js';

export function homeDotenvFiles(g: ConfigGraph): string[] {
  return [join(g.paths.qwenDir, '.env'), join(g.paths.home, '.env')];
}

/**
 * Stores a key as PROTOCOL.md "Credentials" says: in the home `.env` file
 * that discovery would load as its home fallback today, so storing never
 * changes which file is loaded.
 */
export async function storeKey(g: ConfigGraph, envKey: string, key: string): Promise<string> {
  const file = await homeDotenvForWrite(g.paths.home, g.paths.qwenDir);
  const { setDotenvVar } = await writes();
  await setDotenvVar(file, envKey, key);
  return file;
}

/** Why a key just stored will not take effect here, naming what wins. */
export function shadowWarnings(after: ConfigGraph, envKey: string, storedIn: string): string[] {
  const e = after.env.get(envKey);
  const out: string[] = [];
  if (e && (e.source.layer === 'process' || e.source.layer === 'cli' || e.source.layer === 'initializationOptions')) {
    const where = e.source.layer === 'process' ? "the server's environment" : 'a command-line flag';
    out.push(`${envKey} is also set in ${where}, which wins over ${storedIn}: unset it there for the stored key to be used`);
  } else if (e?.source.layer === 'dotenv' && e.source.path && e.source.path !== storedIn) {
    out.push(`${envKey} is also set in ${e.source.path}, which is loaded first and wins over ${storedIn}: remove it there for the stored key to be used`);
  }
  return out;
}

/**
 * Removes a key the server stored (a home `.env` line). A key that lives
 * anywhere else is the person's to remove: CredentialNotOwned says where.
 */
export async function removeKey(g: ConfigGraph, envKey: string): Promise<{ removedFrom: string[]; stillSetBy?: string }> {
  const { removeDotenvVar } = await writes();
  const removedFrom: string[] = [];
  for (const file of homeDotenvFiles(g)) {
    const vars = await readDotenv(file);
    if (vars && envKey in vars && (await removeDotenvVar(file, envKey))) removedFrom.push(file);
  }
  const e = g.env.get(envKey);
  const ownedPaths = new Set(homeDotenvFiles(g));
  const elsewhere = e && e.value !== '' && !(e.source.layer === 'dotenv' && e.source.path && ownedPaths.has(e.source.path));
  if (!elsewhere) return { removedFrom };
  const where =
    e.source.layer === 'process'
      ? "the server's environment (your shell profile or the editor's environment)"
      : e.source.layer === 'dotenv'
        ? `the project file ${e.source.path}`
        : e.source.layer === 'settings'
          ? `the env section of ${e.source.path}`
          : 'a command-line flag or initializationOptions';
  if (removedFrom.length === 0) {
    throw new ServerError('CredentialNotOwned', `${envKey} comes from ${where}, which the server did not write`, {
      hint: `remove ${envKey} there yourself`,
    });
  }
  return { removedFrom, stillSetBy: where };
}
