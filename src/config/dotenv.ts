import { dirname, join, resolve, sep } from 'node:path';
import { parse } from 'dotenv';
import type { Diagnostic } from '../protocol/index.js';
import { readText } from './read-text.js';
import { FILE_START } from './text-position.js';

export interface DotenvFile {
  path: string;
  /** A project file (not in a `.qwen` folder, not a home file): subject to `advanced.excludedEnvVars`. */
  projectLevel: boolean;
  vars: Record<string, string>;
  /** For diagnostics that point at a line. */
  text: string;
}

/**
 * A `.env` file's text, or null when there is none to read. A directory is
 * no `.env` file (Python virtual environments are often named `.env`); any
 * other refusal (a named pipe, a device, too large) is told to `problems`.
 */
async function readDotenvText(path: string, problems?: Diagnostic[]): Promise<string | null> {
  const read = await readText(path, 'dotenv');
  if (read.kind === 'text') return read.text;
  if (read.kind === 'refused' && !read.directory) {
    problems?.push({ path, severity: 'error', range: FILE_START, message: `${read.message}; until then it is skipped by .env discovery` });
  }
  return null;
}

/** A `.env` file's variables, or null when there is no such file (or it can't be read). */
export async function readDotenv(path: string): Promise<Record<string, string> | null> {
  const text = await readDotenvText(path);
  return text === null ? null : parse(text);
}

/** Every path `.env` discovery looks at, in order: the watcher needs them all. */
export function dotenvCandidates(cwd: string, home: string, qwenDir: string, includeProject: boolean): string[] {
  const out: string[] = [];
  if (includeProject) {
    let dir = resolve(cwd);
    for (;;) {
      out.push(join(dir, '.qwen', '.env'), join(dir, '.env'));
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  out.push(join(qwenDir, '.env'), join(home, '.env'));
  return [...new Set(out)];
}

/**
 * Qwen Code's discovery: from the working directory up to `/`, in each
 * directory `.qwen/.env` then `.env`; else `~/.qwen/.env`, then `~/.env`.
 * Only the first file found is loaded. In an untrusted folder only the home
 * files count.
 */
export async function findDotenv(
  cwd: string,
  home: string,
  qwenDir: string,
  includeProject: boolean,
  problems?: Diagnostic[],
): Promise<DotenvFile | null> {
  const homeFiles = new Set([join(qwenDir, '.env'), join(home, '.env')]);
  for (const path of dotenvCandidates(cwd, home, qwenDir, includeProject)) {
    const text = await readDotenvText(path, problems);
    if (text === null) continue;
    const inQwenFolder = path.endsWith(`${sep}.qwen${sep}.env`);
    return { path, projectLevel: !inQwenFolder && !homeFiles.has(path), vars: parse(text), text };
  }
  return null;
}

/**
 * The home file a stored key goes to: the one discovery would load as its
 * home fallback today. Something that is there but can't be read (a named
 * pipe, a directory) still counts: the write then says what is wrong with
 * it, rather than the key landing in another file.
 */
export async function homeDotenvForWrite(home: string, qwenDir: string): Promise<string> {
  const qwenEnv = join(qwenDir, '.env');
  if ((await readText(qwenEnv, 'dotenv')).kind !== 'missing') return qwenEnv;
  const homeEnv = join(home, '.env');
  if ((await readText(homeEnv, 'dotenv')).kind !== 'missing') return homeEnv;
  return qwenEnv;
}
