import type { Diagnostic, Source } from '../protocol/index.js';
import { dotenvDiagnostics } from './diagnostics.js';
import { type DotenvFile, type DotenvTrust, expansionDotenvPaths, findDotenvFiles } from './dotenv.js';
import type { DotenvLoad } from './env-layers.js';
import { expansionEnv } from './expand.js';
import type { ConfigPaths } from './paths.js';

export interface FoundDotenv {
  files: DotenvFile[];
  /** What `$VAR` in settings expands from. */
  expansion: NodeJS.ProcessEnv;
  problems: Diagnostic[];
}

/** The `.env` files of this folder and home, and what settings expand from; a failure is a diagnostic, never a throw. */
export async function findEnvironmentFiles(
  cwd: string,
  paths: ConfigPaths,
  trust: DotenvTrust,
  processEnv: NodeJS.ProcessEnv,
): Promise<FoundDotenv> {
  const problems: Diagnostic[] = [];
  let files: DotenvFile[] = [];
  try {
    files = await findDotenvFiles(cwd, paths.home, paths.qwenDir, trust, problems);
  } catch (err) {
    // The error's name only: a message may quote the file, secrets included.
    const name = err instanceof Error ? err.name : typeof err;
    problems.push({ path: cwd, severity: 'error', message: `.env discovery from ${cwd} failed (${name}); please report this` });
  }
  const fallback = expansionDotenvPaths(paths.home, paths.qwenDir, !!processEnv.QWEN_HOME);
  const homeFiles = fallback.flatMap((p) => files.filter((f) => f.path === p));
  return { files, expansion: expansionEnv(processEnv, homeFiles), problems };
}

function describe(s: Source): string {
  if (s.layer === 'process') return 'the process environment';
  if (s.layer === 'dotenv' && s.path) return s.path;
  return s.layer;
}

const list = (names: string[]) => `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'}`;

/** One sentence per `.env` file whose lines do not all take effect. */
export function dotenvWarnings(loads: DotenvLoad[]): string[] {
  const out: string[] = [];
  for (const { file, shadowed, excluded } of loads) {
    const bySource = new Map<string, string[]>();
    for (const { name, by } of shadowed) bySource.set(describe(by), [...(bySource.get(describe(by)) ?? []), name]);
    for (const [where, names] of bySource) out.push(`${list(names)} in ${file.path} not used: ${where} already sets ${names.length === 1 ? 'it' : 'them'}`);
    if (excluded.length > 0) {
      out.push(
        file.scope === 'project'
          ? `${list(excluded)} in ${file.path} not loaded: a project .env may not set ${excluded.length === 1 ? 'it' : 'them'} (advanced.excludedEnvVars, or a name only the home .env files may set)`
          : `${list(excluded)} in ${file.path} not loaded: no .env file may set ${excluded.length === 1 ? 'it' : 'them'}`,
      );
    }
  }
  return out;
}

/** Every loaded file's lines that do not take effect, each at its line. */
export function dotenvFileDiagnostics(loads: DotenvLoad[]): Diagnostic[] {
  return loads.flatMap((l) => dotenvDiagnostics(l.file, l.shadowed.map((s) => ({ name: s.name, by: describe(s.by) })), l.excluded));
}
