import { join } from 'node:path';
import { type ConfigGraph, homeDotenvForWrite, readDotenv, writes } from '../config/index.js';
import type { EgressGuard } from './net/index.js';
import { type AuthType, InvalidParamsError, ServerError } from '../protocol/index.js';
import type { ProviderTarget } from '../providers/index.js';
import { recordVerdict } from './verified.js';

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

/** How long a login waits for the provider's answer before storing the key unverified. */
export const KEY_CHECK_TIMEOUT_MS = 15_000;

export interface KeyCheck {
  verified: boolean;
  /** Why the key could not be checked (stored anyway). */
  warning?: string;
}

/**
 * Asks the provider whether it takes the key, by its cheapest authenticated
 * request (the model list), once and without retries, through the egress
 * guard. A key the provider refuses is LoginFailed with its words (the key
 * scrubbed out); a provider that can't be reached or answers otherwise
 * leaves the key unverified, with a warning that says why. The verdict is
 * recorded for auth/status.
 */
export async function checkKey(egress: EgressGuard, t: ProviderTarget & { authType: AuthType }): Promise<KeyCheck> {
  const { listRemoteModels } = await import('../providers/index.js');
  const call = egress.call();
  const target: ProviderTarget = { ...t, timeoutMs: t.timeoutMs ?? KEY_CHECK_TIMEOUT_MS, maxRetries: 0 };
  try {
    await listRemoteModels(target, { fetch: call.fetch, signal: call.signal, limit: 1 });
    if (call.refusal) throw call.refusal;
  } catch (err) {
    if (call.refusal) throw call.refusal;
    const reason = err instanceof ServerError ? err.data.reason : undefined;
    const message = err instanceof Error ? err.message : String(err);
    if (reason === 'unauthorized') {
      // The refused key is not stored, and a refused login writes nothing, not even the record of it.
      recordVerdict({ authType: t.authType, ...(t.envKey ? { envKey: t.envKey } : {}), apiKey: t.apiKey }, false, { share: false });
      throw new ServerError('LoginFailed', message, {
        ...(err instanceof ServerError && err.data.status !== undefined ? { status: err.data.status } : {}),
        hint: 'check the key (and the region, if the provider has several); nothing was stored',
      });
    }
    return { verified: false, warning: `the key was stored but not checked: ${message}` };
  }
  recordVerdict({ authType: t.authType, ...(t.envKey ? { envKey: t.envKey } : {}), apiKey: t.apiKey }, true);
  return { verified: true };
}

/** A key that breaks the option's rule (Coding Plan: `sk-sp-`) is refused before anything is sent or stored. */
export function checkKeyRule(rule: { prefix: string; message: string } | undefined, apiKey: string): void {
  if (rule && !apiKey.startsWith(rule.prefix)) {
    throw new InvalidParamsError(rule.message, [{ path: ['apiKey'], message: `starts with ${rule.prefix}` }]);
  }
}
