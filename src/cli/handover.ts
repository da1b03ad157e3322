/**
 * What `token`, `env` and `exec` share: the config graph of one folder, the
 * Qwen OAuth credential (refreshed under the shared lock, as the server
 * does), the model to hand over, and the egress guard's verdict on handing
 * its credential to whatever reads the variables. Nothing is written but a
 * refreshed OAuth credential.
 */
import { join, resolve } from 'node:path';
import { createProxyFetch, EgressGuard, MIN_CREDENTIAL_LENGTH, TRUST_HINT } from '../auth/net/index.js';
import { QwenOAuth } from '../auth/qwen-oauth/index.js';
import { keepVerdictsIn, verdictFor } from '../auth/verified.js';
import { type CatalogueModel, type ConfigGraph, DEFAULT_ENV_KEY, type Found, modelKey, type Overrides, reachability, resolveConfig, resolvePaths, stateDir } from '../config/index.js';
import { currentEgressPolicy, findModel, graphSecrets } from '../handlers/index.js';
import { isSecretName, scrub, ServerError, type Source } from '../protocol/index.js';
import type { CliArgs } from './args.js';
import { describeSource } from './status.js';

const SIGN_IN_HINT = 'sign in from your editor (:Qwen login qwen-oauth in Neovim, M-x qwen-agent-login in Emacs)';

/** A reason not to hand anything over: one sentence for stderr, and what to do about it. */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface Session {
  graph: ConfigGraph;
  /** A usable Qwen OAuth access token and its resource_url; refreshed first when due. */
  oauthToken(): Promise<{ accessToken: string; resourceUrl?: string }>;
  /** Throws a Refusal when a request to `url` carrying `key` would be refused by the server's egress guard. */
  judge(url: string, key: string): Promise<void>;
  /** Every secret known: nothing written to stderr may hold one. */
  secrets(): string[];
  dispose(): void;
}

function overridesOf(args: CliArgs): Overrides {
  return {
    ...(args.authType ? { authType: { value: args.authType, layer: 'cli' as const } } : {}),
    ...(args.openaiApiKey ? { openaiApiKey: { value: args.openaiApiKey, layer: 'cli' as const } } : {}),
    ...(args.openaiBaseUrl ? { openaiBaseUrl: { value: args.openaiBaseUrl, layer: 'cli' as const } } : {}),
  };
}

/** The folder's config graph and credential, as a server started there would see them. */
export async function openSession(args: CliArgs, processEnv: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const cwd = resolve(args.cwd ?? process.cwd());
  const paths = resolvePaths(processEnv, cwd);
  // What a server learnt of a key (a refusal) is a note for whoever takes it over.
  keepVerdictsIn(join(stateDir(processEnv), 'verdicts.json'));
  let graph: ConfigGraph | undefined;
  let resourceUrl: string | undefined;
  let proxyFetch: Promise<typeof fetch> | undefined;
  const qwen = new QwenOAuth({
    credsPath: paths.oauthCreds,
    lockPath: paths.oauthLock,
    env: processEnv,
    fetch: async () => egress.fetch,
    onLoginEnded: () => {},
    onChanged: () => {},
  });
  // The server's own policy, for this graph and this credential.
  const policy = currentEgressPolicy(processEnv, () => graph!, { tokens: () => qwen.secrets(), resourceUrl: () => resourceUrl });
  const egress = new EgressGuard({ send: () => (proxyFetch ??= createProxyFetch(processEnv)), policy });
  // The same guard, sending nothing: its verdict on a request is the verdict on handing the key over.
  const dryRun = new EgressGuard({ send: async () => async () => new Response(null, { status: 204 }), policy });

  const status = await qwen.status();
  resourceUrl = status.resourceUrl;
  graph = await resolveConfig({
    processEnv,
    cwd,
    overrides: overridesOf(args),
    oauth: { state: status.state, ...(status.message ? { message: status.message } : {}), ...(status.resourceUrl ? { resourceUrl: status.resourceUrl } : {}) },
  });
  const g = graph;

  // As the server's own scrubbing (handlers/secrets.ts): shorter values are too common to hide.
  const processSecrets = Object.entries(processEnv).flatMap(([name, v]) => (v && v.length >= MIN_CREDENTIAL_LENGTH && isSecretName(name) ? [v] : []));
  return {
    graph: g,
    async oauthToken() {
      const creds = await qwen.credentials();
      if (creds) {
        resourceUrl = creds.resourceUrl;
        return creds;
      }
      const s = await qwen.status();
      if (s.state === 'signedOut') throw new Refusal(s.message ?? 'not signed in to Qwen OAuth', SIGN_IN_HINT);
      if (s.state === 'error') throw new Refusal(s.message ?? 'the Qwen OAuth credential cannot be used', SIGN_IN_HINT);
      throw new Refusal(s.message ?? 'the Qwen OAuth token has expired and cannot be refreshed', SIGN_IN_HINT);
    },
    async judge(url, key) {
      try {
        await dryRun.fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
      } catch (err) {
        if (err instanceof ServerError && err.code === 'WorkspaceUntrusted') throw new Refusal(err.message, TRUST_HINT);
        throw err;
      }
    },
    secrets: () => [...processSecrets, ...graphSecrets(g), ...qwen.secrets()],
    dispose: () => qwen.dispose(),
  };
}

/** The model `--model` names (as `status` lists it), else the selected one. */
export function chooseModel(g: ConfigGraph, args: Pick<CliArgs, 'model' | 'authType'>): CatalogueModel {
  if (args.model !== undefined) {
    try {
      return findModel(g, { id: args.model, ...(args.authType ? { authType: args.authType } : {}) });
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      const hint = err.code === 'AmbiguousModel' ? 'say which with --auth-type' : 'qwen-agent-server status lists the models configured here';
      throw new Refusal(err.code === 'AmbiguousModel' ? err.message.replace(/: say which.*$/, '') : err.message.replace(/^no model/, 'there is no model'), hint);
    }
  }
  const sel = g.selection;
  if (!sel) {
    throw new Refusal('no model is selected here', 'choose one in your editor (:Qwen model, M-x qwen-agent-select-model), or name one with --model');
  }
  const same = g.catalogue.filter((m) => m.authType === sel.authType && m.id === sel.id);
  const m = same.find((x) => sel.baseUrl === undefined || x.baseUrl === sel.baseUrl) ?? same[0];
  if (!m) throw new Refusal(`the selected model ${sel.id} is not in the catalogue`);
  return m;
}

/** What a tool needs to call one model: its key, where to send it, and the model id. */
export interface Credential {
  model: CatalogueModel;
  key: string;
  /** Where the key came from, for notes; undefined for the Qwen OAuth token. */
  found?: Found;
  /** The base URL requests of this model go to, as the server's adapters would use it. */
  baseUrl: string;
  notes: string[];
}

/** The model's credential and base URL, refused when it is unusable or when the egress guard would refuse it. */
export async function credentialFor(s: Session, m: CatalogueModel): Promise<Credential> {
  const g = s.graph;
  const { effectiveBaseUrl } = await import('../providers/index.js');
  const notes: string[] = [];
  if (m.authType === 'qwen-oauth') {
    const t = await s.oauthToken();
    const baseUrl = effectiveBaseUrl({ authType: 'qwen-oauth', apiKey: t.accessToken, ...(t.resourceUrl ? { baseUrl: t.resourceUrl } : {}) });
    await s.judge(baseUrl, t.accessToken);
    return { model: m, key: t.accessToken, baseUrl, notes };
  }
  const r = reachability(m, g);
  const found = modelKey(g, m);
  if (!found) throw new Refusal(`${m.id} cannot be used: ${r.unavailableReason ?? 'it has no key'}`);
  if (!r.available) throw new Refusal(`${m.id} cannot be used: ${r.unavailableReason}`);
  const baseUrl = effectiveBaseUrl({ authType: m.authType, apiKey: found.value, ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}) });
  await s.judge(baseUrl, found.value);
  const home = g.paths.home;
  const where = whereFrom(found.source, home);
  const envKey = m.envKey ?? DEFAULT_ENV_KEY[m.authType];
  if (found.name !== envKey) notes.push(`${envKey} is not set: the key of ${found.name} (from ${where}) is handed over, as Qwen Code would use it`);
  const shadowed = g.dotenvFiles.filter((d) => d.shadowed.some((x) => x.name === found.name)).map((d) => tilde(d.file.path, home));
  if (shadowed.length > 0) notes.push(`${found.name} comes from ${where}, so the one in ${shadowed.join(' and ')} is not used`);
  const verdict = verdictFor({ authType: m.authType, envKey: found.name, apiKey: found.value });
  if (verdict === false) notes.push(`the provider refused ${found.name} when it was last checked (model/test, a login or a chat turn): sign in again if it fails`);
  const headers = Object.keys(m.config?.generationConfig?.customHeaders ?? {});
  if (headers.length > 0) notes.push(`${m.id} also sends the headers ${headers.join(', ')} (generationConfig.customHeaders): a tool has to add them itself`);
  return { model: m, key: found.value, found, baseUrl, notes };
}

function tilde(p: string, home: string): string {
  return home && p.startsWith(`${home}/`) ? `~${p.slice(home.length)}` : p;
}

/** Where a value came from, as a sentence says it. */
function whereFrom(s: Source, home: string): string {
  if (s.layer === 'process') return 'your environment';
  if (s.layer === 'dotenv' && s.path) return tilde(s.path, home);
  return describeSource(s, home);
}

/** A line for stderr, without any secret in it. */
export function safe(s: Session | undefined, text: string): string {
  return s ? scrub(text, s.secrets()) : text;
}

/** Prints why nothing was handed over, as one line without any secret in it. */
export function report(s: Session | undefined, err: unknown): void {
  const hint = err instanceof Refusal ? err.hint : err instanceof ServerError ? err.data.hint : undefined;
  const known = err instanceof Refusal || err instanceof ServerError;
  const text = known ? err.message : `unexpected error (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}); please report this`;
  // One line: a tool that shows a failed command's stderr (an editor's key function) shows all of it.
  process.stderr.write(safe(s, `qwen-agent-server: ${text}${hint ? `; ${hint}` : ''}`).replace(/\n/g, ' ') + '\n');
}
