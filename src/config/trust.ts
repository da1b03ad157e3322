import { dirname, normalize, relative, isAbsolute } from 'node:path';
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

function within(location: string, root: string): boolean {
  const rel = relative(normalize(root), normalize(location));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Qwen Code's rule: TRUST_FOLDER trusts a folder and everything below it,
 * TRUST_PARENT the folder's parent and below, DO_NOT_TRUST that folder
 * exactly. `undefined` means no decision was recorded.
 */
export function explicitTrust(rules: TrustRules, location: string): boolean | undefined {
  const trusted: string[] = [];
  const untrusted: string[] = [];
  for (const [p, level] of Object.entries(rules)) {
    if (level === 'TRUST_FOLDER') trusted.push(p);
    else if (level === 'TRUST_PARENT') trusted.push(dirname(p));
    else untrusted.push(p);
  }
  if (trusted.some((t) => within(location, t))) return true;
  if (untrusted.some((u) => normalize(u) === normalize(location))) return false;
  return undefined;
}
