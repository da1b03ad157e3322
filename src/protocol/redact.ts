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
 * Replaces every occurrence of each secret in a text by its redacted form.
 * For texts we did not write ourselves: SDK errors, HTTP bodies, stack traces.
 */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join(redact(s));
  }
  return out;
}
