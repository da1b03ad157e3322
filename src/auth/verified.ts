import { createHash } from 'node:crypto';
import type { AuthType } from '../protocol/index.js';

/**
 * What the provider last said about a key: accepted (true) or refused
 * (false). Kept in memory only, keyed by a fingerprint so the key itself is
 * never held here; a key edited by hand gets a new fingerprint and so no
 * verdict until something checks it again.
 */
const verdicts = new Map<string, boolean>();

export interface KeyIdentity {
  authType: AuthType;
  envKey?: string;
  apiKey: string;
}

function fingerprint(c: KeyIdentity): string {
  const digest = createHash('sha256').update(c.apiKey).digest('base64url').slice(0, 22);
  return `${c.authType}\u0000${c.envKey ?? ''}\u0000${digest}`;
}

export function recordVerdict(c: KeyIdentity, ok: boolean): void {
  if (!c.apiKey) return;
  verdicts.set(fingerprint(c), ok);
}

export function verdictFor(c: KeyIdentity): boolean | undefined {
  if (!c.apiKey) return undefined;
  return verdicts.get(fingerprint(c));
}
