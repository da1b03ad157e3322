import { statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { parse } from 'dotenv';
import type { Diagnostic } from '../protocol/index.js';
import { readText, type TextFile } from './read-text.js';
import { FILE_START } from './text-position.js';
import { realFolder } from './trust.js';

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
 * A `.env` path read: its text, nothing there, or something that can't be
 * read. A directory is no `.env` file (Python virtual environments are
 * often named `.env`) and is not diagnosed; any other refusal (a named
 * pipe, a device, too large) is told to `problems`.
 */
async function readDotenvFile(path: string, problems?: Diagnostic[]): Promise<TextFile> {
  const read = await readText(path, 'dotenv');
  if (read.kind === 'refused' && !read.directory) {
    problems?.push({ path, severity: 'error', range: FILE_START, message: `${read.message}; until then it is skipped by .env discovery` });
  }
  return read;
}

/** A `.env` file's variables, or null when there is no such file (or it can't be read). */
export async function readDotenv(path: string): Promise<Record<string, string> | null> {
  const read = await readDotenvFile(path);
  return read.kind === 'text' ? parse(read.text) : null;
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

/** The project folders the walk visits: from the (real) working directory up, stopping before the home folder. */
function projectDirs(start: string, home: string): string[] {
  const out: string[] = [];
  let dir = resolve(start);
  for (;;) {
    if (dir === home) break;
    out.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

/** Every path `.env` discovery looks at from the real working directory `start`, in order: the watcher needs them all. */
export function dotenvCandidates(start: string, home: string, qwenDir: string, includeProject: boolean): string[] {
  const project = includeProject ? projectDirs(start, home).flatMap((dir) => [join(dir, '.qwen', '.env'), join(dir, '.env')]) : [];
  return [...new Set([...project, ...homeDotenvPaths(home, qwenDir)])];
}

const UNTRUSTED_WORKSPACE =
  'not loaded: folder trust is on and this workspace is not trusted, so Qwen Code loads no project .env file (only ~/.qwen/.env and ~/.env); trust the folder (workspace/trust) to load it';
const distrustedFolder = (folder: string) =>
  `not loaded: the trusted-folders file marks ${folder} DO_NOT_TRUST, so Qwen Code skips the .env files there and looks further up; move the variables to the project's own .env or to ~/.qwen/.env`;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What folder trust lets `.env` discovery load (Qwen Code's canUseEnvFile). */
export interface DotenvTrust {
  /** Whether the workspace is trusted: if not, no project file loads, only the home files. */
  workspace: boolean;
  /** What the trust rules say of a folder above the workspace; `false` skips its files (`true` with folder trust off). */
  folder(dir: string): boolean | undefined;
}

/**
 * Qwen Code 0.24's discovery (findEnvFiles): from the real working
 * directory (symbolic links resolved) up, stopping at the home folder, in
 * each folder `.qwen/.env` then `.env`; the first project file that may
 * load, then every home file that exists. Whatever is at that first path
 * ends the walk, even a directory or a file that can't be read. A project
 * file may load only in a trusted workspace, and not from a folder above it
 * that the trust rules distrust: the walk goes on past such a file. A home
 * file met on the way (QWEN_HOME inside the project) ends the walk. Load
 * order is precedence order: each name comes from the first file that sets it.
 */
export async function findDotenvFiles(
  cwd: string,
  home: string,
  qwenDir: string,
  trust: DotenvTrust,
  problems?: Diagnostic[],
): Promise<DotenvFile[]> {
  const homeFiles = homeDotenvPaths(home, qwenDir);
  const found: DotenvFile[] = [];
  /** Loads a file; true when anything is there, loaded or not (Qwen Code's existsSync: a `.env` directory too ends the walk). */
  const take = async (path: string, scope: DotenvFile['scope']): Promise<boolean> => {
    const read = await readDotenvFile(path, problems);
    if (read.kind === 'missing') return false;
    if (read.kind === 'text') {
      const projectLevel = scope === 'project' && !path.endsWith(`${sep}.qwen${sep}.env`);
      found.push({ path, scope, projectLevel, vars: parse(read.text), text: read.text });
    }
    return true;
  };
  const start = realFolder(cwd);
  /** Why a project file may not load, or null when it may. */
  const barred = (path: string): string | null => {
    if (!trust.workspace) return UNTRUSTED_WORKSPACE;
    const dir = dirname(path);
    const folder = basename(dir) === '.qwen' ? dirname(dir) : dir;
    return folder === start || trust.folder(folder) !== false ? null : distrustedFolder(folder);
  };
  let toldUntrusted = false;
  // Started in the home folder itself (as given, not resolved): the home files only.
  if (resolve(cwd) !== home) {
    for (const path of dotenvCandidates(start, home, qwenDir, true)) {
      if (homeFiles.includes(path)) {
        if ((await readText(path, 'dotenv')).kind !== 'missing') break;
        continue;
      }
      const why = barred(path);
      if (why === null) {
        if (await take(path, 'project')) break;
        continue;
      }
      // Said of the files a person would expect to load: each one skipped, but in an untrusted workspace only the first.
      if (toldUntrusted || !isFile(path)) continue;
      problems?.push({ path, severity: 'warning', range: FILE_START, message: why });
      toldUntrusted = !trust.workspace;
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
