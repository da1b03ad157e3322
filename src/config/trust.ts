import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, normalize, parse as parsePath, relative, resolve, sep } from 'node:path';
import { parse, type ParseError } from 'jsonc-parser';
import * as z from 'zod/mini';
import { TrustLevel } from '../protocol/index.js';
import { nestingOverflow, tooDeepMessage } from './jsonc-value.js';
import { readText } from './read-text.js';

export const TrustedFoldersFile = z.record(z.string(), TrustLevel);
export type TrustRules = z.infer<typeof TrustedFoldersFile>;

export interface TrustFile {
  path: string;
  rules: TrustRules;
  error: string | null;
}

const NONE_TRUSTED = 'no folder counts as trusted until it is fixed';

export async function readTrustedFolders(path: string): Promise<TrustFile> {
  const read = await readText(path, 'trustedFolders');
  if (read.kind === 'missing') return { path, rules: {}, error: null };
  if (read.kind === 'refused') return { path, rules: {}, error: `${read.message}; ${NONE_TRUSTED}` };
  // Before the parser, which recurses.
  if (nestingOverflow(read.text) !== -1) return { path, rules: {}, error: `${tooDeepMessage(path)}; ${NONE_TRUSTED}` };
  const errors: ParseError[] = [];
  const raw: unknown = parse(read.text, errors, { allowTrailingComma: true });
  if (errors.length > 0) return { path, rules: {}, error: `${path} is not valid JSON; ${NONE_TRUSTED}` };
  const parsed = TrustedFoldersFile.safeParse(raw ?? {});
  if (!parsed.success) {
    return { path, rules: {}, error: `${path}: values must be TRUST_FOLDER, TRUST_PARENT or DO_NOT_TRUST` };
  }
  return { path, rules: parsed.data, error: null };
}

/**
 * A folder through its symbolic links, or as given when it can't be
 * resolved (gone, unreadable). Qwen Code matches trust and walks up for
 * `.env` files from the real folder (settings.ts, environment.ts): a
 * symlinked project is judged where it really is. Synchronous, as the
 * graph's reads: a trip through the thread pool costs a busy process more.
 */
export function realFolder(path: string): string {
  const given = resolve(path);
  try {
    return normalize(realpathSync(given));
  } catch {
    return given;
  }
}

/** A path as given and through its links: Qwen Code compares both (path-comparison.ts, getPathComparisonVariants). */
function pathVariants(path: string): string[] {
  const given = normalize(resolve(path));
  const real = realFolder(given);
  return real === given ? [given] : [given, real];
}

function within(location: string, root: string): boolean {
  const rel = relative(root, location);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function depth(path: string): number {
  const rel = relative(parsePath(path).root, path);
  return rel === '' ? 0 : rel.split(sep).filter(Boolean).length;
}

/**
 * What the trusted-folders file says of a folder: `true`, `false`, or
 * `undefined` when no rule covers it. Qwen Code 0.24's rule
 * (trust-precedence.ts): TRUST_FOLDER covers a folder and everything below
 * it, TRUST_PARENT the folder's parent and below, DO_NOT_TRUST a folder and
 * below; the deepest covering rule wins, DO_NOT_TRUST on a tie. Rule paths
 * and the folder count both as written and through their links. The rules
 * are resolved once, for asking about many folders.
 */
export function trustDecider(rules: TrustRules): (location: string) => boolean | undefined {
  const compiled = Object.entries(rules).map(([p, level]) => ({
    trusted: level !== 'DO_NOT_TRUST',
    roots: pathVariants(level === 'TRUST_PARENT' ? dirname(p) : p),
  }));
  return (location) => {
    const at = pathVariants(location);
    let winner: boolean | undefined;
    let winnerDepth = -1;
    for (const rule of compiled) {
      let d = -1;
      for (const root of rule.roots) if (at.some((l) => within(l, root))) d = Math.max(d, depth(root));
      if (d < 0) continue;
      if (d > winnerDepth || (d === winnerDepth && !rule.trusted)) {
        winner = rule.trusted;
        winnerDepth = d;
      }
    }
    return winner;
  };
}

