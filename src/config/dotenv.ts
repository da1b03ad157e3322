import { dirname, join, resolve, sep } from 'node:path';
import { parse } from 'dotenv';
import type { Diagnostic } from '../protocol/index.js';
import { readText } from './read-text.js';
import { FILE_START } from './text-position.js';

export interface DotenvFile {
  path: string;
  /** A home file (`$QWEN_HOME/.env`, `~/.qwen/.env`, `~/.env`) or the project's. */
  scope: 'home' | 'project';
  /** A project file outside `.qwen/`: subject to `advanced.excludedEnvVars`. */
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

/** The home files, in the order Qwen Code loads them; `~/.qwen/.env` too when QWEN_HOME moves the config folder. */
export function homeDotenvPaths(home: string, qwenDir: string): string[] {
  return [...new Set([join(qwenDir, '.env'), join(home, '.qwen', '.env'), join(home, '.env')])];
}

/**
 * The home files `${VAR}` in settings falls back on: `$QWEN_HOME/.env`, and
 * `~/.env` only when QWEN_HOME is not set (Qwen Code's getHomeEnvFallbackVars).
 */
export function expansionDotenvPaths(home: string, qwenDir: string, qwenHomeSet: boolean): string[] {
  return qwenHomeSet ? [join(qwenDir, '.env')] : [join(qwenDir, '.env'), join(home, '.env')];
}

/** The project folders the walk visits: from the working directory up, stopping before the home folder. */
function projectDirs(cwd: string, home: string): string[] {
  const out: string[] = [];
  let dir = resolve(cwd);
  for (;;) {
    if (dir === home) break;
    out.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

/** Every path `.env` discovery looks at, in order: the watcher needs them all. */
export function dotenvCandidates(cwd: string, home: string, qwenDir: string, includeProject: boolean): string[] {
  const project = includeProject ? projectDirs(cwd, home).flatMap((dir) => [join(dir, '.qwen', '.env'), join(dir, '.env')]) : [];
  return [...new Set([...project, ...homeDotenvPaths(home, qwenDir)])];
}

/**
 * Qwen Code 0.24's discovery (findEnvFiles): from the working directory up,
 * stopping at the home folder, in each folder `.qwen/.env` then `.env`; the
 * first project file found, then every home file that exists. In an
 * untrusted folder only the home files count. Load order is precedence
 * order: each name comes from the first file that sets it.
 */
export async function findDotenvFiles(
  cwd: string,
  home: string,
  qwenDir: string,
  includeProject: boolean,
  problems?: Diagnostic[],
): Promise<DotenvFile[]> {
  const homeFiles = homeDotenvPaths(home, qwenDir);
  const found: DotenvFile[] = [];
  const take = async (path: string, scope: DotenvFile['scope']): Promise<boolean> => {
    const text = await readDotenvText(path, problems);
    if (text === null) return false;
    const projectLevel = scope === 'project' && !path.endsWith(`${sep}.qwen${sep}.env`);
    found.push({ path, scope, projectLevel, vars: parse(text), text });
    return true;
  };
  if (includeProject) {
    for (const path of dotenvCandidates(cwd, home, qwenDir, true)) {
      if (homeFiles.includes(path)) continue;
      if (await take(path, 'project')) break;
    }
  }
  for (const path of homeFiles) await take(path, 'home');
  return found;
}

/**
 * The home file a stored key goes to: `~/.qwen/.env` (or `$QWEN_HOME/.env`)
 * if it exists, else `~/.env` if it exists, else a new `~/.qwen/.env`; every
 * home file is loaded in every folder. Something that is there but can't be
 * read (a named pipe, a directory) still counts: the write then says what is
 * wrong with it, rather than the key landing in another file.
 */
export async function homeDotenvForWrite(home: string, qwenDir: string): Promise<string> {
  const qwenEnv = join(qwenDir, '.env');
  if ((await readText(qwenEnv, 'dotenv')).kind !== 'missing') return qwenEnv;
  const homeEnv = join(home, '.env');
  if ((await readText(homeEnv, 'dotenv')).kind !== 'missing') return homeEnv;
  return qwenEnv;
}
