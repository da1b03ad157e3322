/**
 * The one way a secret is shown anywhere: protocol answers, logs, errors and
 * the status view. Short secrets show nothing, since a few characters of a
 * short secret are a large part of it.
 */
export function redact(secret: string): string {
  if (secret.length <= 12) return '…';
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}

/** Names whose values are secrets wherever they appear (PROTOCOL.md, config/resolve). */
export function isSecretName(name: string): boolean {
  return /(_KEY|_TOKEN|_SECRET)$/i.test(name);
}

/**
 * `scheme://user:password@host`: the password is everything up to the last
 * `@` of the authority, as WHATWG URL parsing has it, so a password that
 * holds an `@` is hidden whole.
 */
const USERINFO_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/?#:@\\]*:)([^\s/?#\\]*)@/gi;

/** The passwords of every URL user-info in a text, as written there. */
export function userinfoPasswords(text: string): string[] {
  if (!text.includes('://')) return [];
  return [...text.matchAll(USERINFO_PASSWORD)].map((m) => m[2]!).filter((p) => p !== '' && !p.includes('…'));
}

function hidePasswords(text: string): string {
  if (!text.includes('://')) return text;
  // A password already shown redacted stays as it is: scrubbing twice changes nothing.
  return text.replace(USERINFO_PASSWORD, (whole, head: string, password: string) =>
    password === '' || password.includes('…') ? whole : `${head}${redact(password)}@`,
  );
}

/** Unique, long enough to hide, longest first: a secret that holds a shorter one is then still hidden whole. */
function prepare(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

function cleaner(known: string[]): (text: string) => string {
  return (text) => {
    let out = hidePasswords(text);
    for (const s of known) if (out.includes(s)) out = out.replaceAll(s, redact(s));
    return out;
  };
}

/**
 * A JSON text holds a secret or a URL password only if this finds one; it
 * may find one that is not there (across two strings), never miss one:
 * escaping turns no character into `/`, `?`, `#`, `@` or white space.
 */
const MAYBE_PASSWORD = /:\/\/[^\s/?#@]*:[^\s/?#]*@/;

function mayHold(json: string, known: string[]): boolean {
  return MAYBE_PASSWORD.test(json) || known.some((s) => json.includes(JSON.stringify(s).slice(1, -1)));
}

/**
 * Replaces, in a text, the password of every URL user-info and every
 * occurrence of each secret by its redacted form. For texts we did not write
 * ourselves: SDK errors, HTTP bodies, stack traces, log lines.
 */
export function scrub(text: string, secrets: Iterable<string>): string {
  return cleaner(prepare(secrets))(text);
}

function scrubIn(value: unknown, clean: (text: string) => string): unknown {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = scrubIn(value[i], clean);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const key = clean(k);
      const c = scrubIn(v, clean);
      if (key !== k || c !== v) {
        out ??= { ...(value as Record<string, unknown>) };
        if (key !== k) delete out[k];
        out[key] = c;
      }
    }
    return out ?? value;
  }
  return value;
}

/**
 * `scrub` for every string of a JSON value, keys included: the last pass over
 * everything the server sends. Most values hold nothing to hide, and one
 * look at their JSON text costs less than a walk over them; parts with
 * nothing to hide are returned as they are, not copied.
 */
export function scrubValue<T>(value: T, secrets: Iterable<string>): T {
  const known = prepare(secrets);
  return mayHold(JSON.stringify(value) ?? '', known) ? (scrubIn(value, cleaner(known)) as T) : value;
}

/** `JSON.stringify` of what `scrubValue` gives, with the JSON text made only once when there is nothing to hide. */
export function scrubbedJson(value: unknown, secrets: Iterable<string>): string {
  const known = prepare(secrets);
  const json = JSON.stringify(value);
  return mayHold(json, known) ? JSON.stringify(scrubIn(value, cleaner(known))) : json;
}
