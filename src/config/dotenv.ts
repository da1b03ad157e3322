import { readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { parse } from 'dotenv';

export interface DotenvFile {
  path: string;
  /** A project file (not in a `.qwen` folder, not a home file): subject to `advanced.excludedEnvVars`. */
  projectLevel: boolean;
  vars: Record<string, string>;
  /** For diagnostics that point at a line. */
  text: string;
}

async function tryRead(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** A `.env` file's variables, or null when there is no such file. */
export async function readDotenv(path: string): Promise<Record<string, string> | null> {
  const text = await tryRead(path);
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
): Promise<DotenvFile | null> {
  const homeFiles = new Set([join(qwenDir, '.env'), join(home, '.env')]);
  for (const path of dotenvCandidates(cwd, home, qwenDir, includeProject)) {
    const text = await tryRead(path);
    if (text === null) continue;
    const inQwenFolder = path.endsWith(`${sep}.qwen${sep}.env`);
    return { path, projectLevel: !inQwenFolder && !homeFiles.has(path), vars: parse(text), text };
  }
  return null;
}

/** The home file a stored key goes to: the one discovery would load as its home fallback today. */
export async function homeDotenvForWrite(home: string, qwenDir: string): Promise<string> {
  const qwenEnv = join(qwenDir, '.env');
  if ((await tryRead(qwenEnv)) !== null) return qwenEnv;
  const homeEnv = join(home, '.env');
  if ((await tryRead(homeEnv)) !== null) return homeEnv;
  return qwenEnv;
}
