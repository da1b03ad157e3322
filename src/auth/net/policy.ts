import { encodings, percentDecodings } from './encodings.js';

/** Shorter values are too common to look for in a request (a port, a word). */
export const MIN_CREDENTIAL_LENGTH = 8;

/** A credential from outside the workspace, and the name a message may show instead of it. */
export interface Credential {
  name: string;
  value: string;
}

export interface EgressPolicyInput {
  /** The folder is explicitly trusted: the hosts its settings name may receive anything. */
  trusted: boolean;
  /** URLs chosen outside the workspace: their origins may receive anything. */
  outsideUrls: Iterable<string>;
  credentials: Iterable<Credential>;
}

interface Needle {
  credential: Credential;
  /** The value in every form a request can carry it in. */
  forms: string[];
  lower: string;
}

/** What the egress guard judges each request by; made once per config graph. */
export interface EgressPolicy {
  trusted: boolean;
  outsideOrigins: ReadonlySet<string>;
  needles: readonly Needle[];
}

export function originOf(url: string): string | undefined {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? undefined : o;
  } catch {
    return undefined;
  }
}

export function compileEgressPolicy(inp: EgressPolicyInput): EgressPolicy {
  const outsideOrigins = new Set<string>();
  for (const u of inp.outsideUrls) {
    const o = originOf(u);
    if (o) outsideOrigins.add(o);
  }
  const byValue = new Map<string, Needle>();
  for (const c of inp.credentials) {
    if (c.value.length < MIN_CREDENTIAL_LENGTH || byValue.has(c.value)) continue;
    byValue.set(c.value, { credential: c, forms: encodings(c.value), lower: c.value.toLowerCase() });
  }
  // Longest first: a credential that holds a shorter one is named for itself.
  const needles = [...byValue.values()].sort((a, b) => b.credential.value.length - a.credential.value.length);
  return { trusted: inp.trusted, outsideOrigins, needles };
}

/** Whether a request to `url` is judged at all: only workspace-chosen hosts in a folder not trusted are. */
export function needsJudging(p: EgressPolicy, url: string): boolean {
  if (p.trusted || p.needles.length === 0) return false;
  const origin = originOf(url);
  // Not a URL: fetch will refuse it, with the text in its message; judge it like any other.
  return origin === undefined || !p.outsideOrigins.has(origin);
}

/** The outside credential a piece of a request carries, in any form it can take there. */
export function findCredential(p: EgressPolicy, text: string): Credential | undefined {
  const texts = percentDecodings(text);
  for (const n of p.needles) {
    for (const t of texts) for (const f of n.forms) if (t.includes(f)) return n.credential;
  }
  return undefined;
}

/** Host names are case-insensitive and URL parsing lower-cases them: a credential there is matched so. */
export function findCredentialInHost(p: EgressPolicy, host: string): Credential | undefined {
  const h = host.toLowerCase();
  return p.needles.find((n) => h.includes(n.lower))?.credential;
}

/** `host` with every credential it holds shown redacted, whatever its case. */
export function hideCredentialsInHost(p: EgressPolicy, host: string, redact: (s: string) => string): string {
  let out = host;
  for (const n of p.needles) {
    let at = out.toLowerCase().indexOf(n.lower);
    while (at >= 0) {
      const shown = redact(n.credential.value);
      out = out.slice(0, at) + shown + out.slice(at + n.lower.length);
      at = out.toLowerCase().indexOf(n.lower, at + shown.length);
    }
  }
  return out;
}
