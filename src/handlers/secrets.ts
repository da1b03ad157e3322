import { type ConfigGraph, getPath, isSecretEnv } from '../config/index.js';
import { isSecretName, scrubValue, userinfoPasswords } from '../protocol/index.js';
import type { Notifier, WorkspaceState } from '../session/workspace.js';

/** Shorter values are too common to hide wherever they appear (a port, a word). */
const MIN_SECRET = 8;

const ofGraph = new WeakMap<ConfigGraph, string[]>();

function passwordsIn(url: string): string[] {
  return userinfoPasswords(url).flatMap((p) => {
    try {
      const decoded = decodeURIComponent(p);
      return decoded === p ? [p] : [p, decoded];
    } catch {
      return [p];
    }
  });
}

/**
 * The secrets a config graph holds: the value of every variable named like a
 * secret or used as an envKey, and the password of every URL user-info in a
 * variable or a model's baseUrl. Worked out once per graph (a graph is
 * replaced, never changed), since every log line and answer asks.
 */
export function graphSecrets(g: ConfigGraph): string[] {
  let found = ofGraph.get(g);
  if (found) return found;
  const out = new Set<string>();
  for (const [name, e] of g.env) {
    if (isSecretEnv(g, name)) out.add(e.value);
    for (const p of passwordsIn(e.value)) out.add(p);
  }
  for (const m of g.catalogue) if (m.baseUrl) for (const p of passwordsIn(m.baseUrl)) out.add(p);
  for (const f of g.files) {
    const apiKey = getPath(f.settings, 'security.auth.apiKey');
    if (typeof apiKey === 'string') out.add(apiKey);
  }
  // Inside a URL a short password is still hidden (protocol/redact.ts); elsewhere it is left alone.
  found = [...out].filter((s) => s.length >= MIN_SECRET);
  ofGraph.set(g, found);
  return found;
}

/**
 * Every secret value the server knows of, now: the one set that log lines,
 * answers and notifications are scrubbed of. The graph is looked up on each
 * call, so the set follows every recompute.
 */
export function knownSecrets(state: () => WorkspaceState, tokens: () => Iterable<string>, processEnv: NodeJS.ProcessEnv = {}): () => Iterable<string> {
  // A process value a flag shadows (--openai-api-key) is in no graph, but is still the person's secret.
  const shadowable = Object.entries(processEnv).flatMap(([name, v]) => (v && v.length >= MIN_SECRET && isSecretName(name) ? [v] : []));
  return function* () {
    yield* shadowable;
    // Before the first graph exists (a log line during start-up) only the tokens are known.
    const g = state().graph as ConfigGraph | undefined;
    if (g) yield* graphSecrets(g);
    yield* tokens();
  };
}

/** The last pass over every notification, as over every answer (connection/router.ts). */
export function scrubbingNotifier(notifier: Notifier, secrets: () => Iterable<string>): Notifier {
  return { notify: (method, params) => notifier.notify(method, scrubValue(params, secrets())) };
}
