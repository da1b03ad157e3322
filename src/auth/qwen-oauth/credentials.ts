import { rm } from 'node:fs/promises';
import * as z from 'zod/mini';
import { nestingOverflow, tooDeepMessage } from '../../config/jsonc-value.js';
import { readText } from '../../config/read-text.js';
import { writeFileAtomic } from '../../config/write/atomic.js';

/** Qwen Code's `~/.qwen/oauth_creds.json`, exactly: both programs share one login. */
export const QwenCredentials = z.looseObject({
  access_token: z.string().check(z.minLength(1)),
  refresh_token: z.optional(z.string().check(z.minLength(1))),
  token_type: z._default(z.string(), 'Bearer'),
  resource_url: z.optional(z.string()),
  /** Epoch milliseconds. */
  expiry_date: z.number(),
  id_token: z.optional(z.string()),
});
export type QwenCredentials = z.infer<typeof QwenCredentials>;

export type CredentialsFile =
  | { kind: 'ok'; creds: QwenCredentials; mtimeMs: number }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string; mtimeMs: number };

/** Reads the credential file. A malformed one is reported, never deleted: it is the person's to inspect. */
export async function readCredentials(path: string): Promise<CredentialsFile> {
  const read = await readText(path, 'oauthCredentials');
  if (read.kind === 'missing') return { kind: 'missing' };
  if (read.kind === 'refused') return { kind: 'invalid', reason: read.message, mtimeMs: 0 };
  const { text, mtimeMs } = read;
  // JSON.parse does not recurse, but writing the file back after a refresh (JSON.stringify) would.
  if (nestingOverflow(text) !== -1) return { kind: 'invalid', reason: `${tooDeepMessage(path)}; sign in again to replace it`, mtimeMs };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: `${path} is not valid JSON; sign in again to replace it`, mtimeMs };
  }
  const parsed = QwenCredentials.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ');
    return { kind: 'invalid', reason: `${path} is not a Qwen OAuth credential (bad or missing: ${fields}); sign in again to replace it`, mtimeMs };
  }
  return { kind: 'ok', creds: parsed.data, mtimeMs };
}

export function writeCredentials(path: string, creds: QwenCredentials): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
}

export async function removeCredentials(path: string): Promise<void> {
  await rm(path, { force: true });
}
