import { type ConfigGraph, DEFAULT_ENV_KEY, fallbackKey, getPath, GROUP_LABEL, readDotenv } from '../config/index.js';
import {
  type AuthMethodState,
  type AuthStatusResult,
  KeyAuthType,
  redact,
  Region,
} from '../protocol/index.js';
import { CODING_PLAN_ENV_KEY } from './coding-plan.js';
import { homeDotenvFiles } from './keys.js';

export interface OAuthStatus {
  state: 'signedIn' | 'signedOut' | 'expired' | 'pending' | 'error';
  expiresAt?: string;
  message?: string;
  redactedToken?: string;
  resourceUrl?: string;
}

/** Every (authType, envKey) pair a configured model uses, plus each auth type's default key. */
export function keyPairs(g: ConfigGraph): { authType: KeyAuthType; envKey: string }[] {
  const seen = new Set<string>();
  const out: { authType: KeyAuthType; envKey: string }[] = [];
  const add = (authType: KeyAuthType, envKey: string) => {
    const k = `${authType}:${envKey}`;
    if (envKey === CODING_PLAN_ENV_KEY || seen.has(k)) return;
    seen.add(k);
    out.push({ authType, envKey });
  };
  for (const m of g.catalogue) if (m.authType !== 'qwen-oauth' && m.envKey) add(m.authType, m.envKey);
  for (const at of KeyAuthType.options) add(at, DEFAULT_ENV_KEY[at]);
  return out;
}

async function keyState(
  g: ConfigGraph,
  base: Omit<AuthMethodState, 'state'>,
  envKey: string,
  homeValues: Map<string, { file: string; value: string }>,
): Promise<AuthMethodState> {
  const e = g.env.get(envKey);
  const stored = homeValues.get(envKey);
  // What requests of this auth type carry instead (the one resolution model/list and requests use too).
  const instead = (!e || e.value === '') && base.login === 'api-key' && base.authType !== 'qwen-oauth' ? fallbackKey(g, base.authType) : undefined;
  if (instead && instead.name !== envKey) {
    return { ...base, state: 'signedIn', credential: { redacted: redact(instead.value), source: instead.source }, message: `${envKey} is not set: ${instead.name} is used instead` };
  }
  if (!e || e.value === '') {
    const message = stored
      ? `a key is stored in ${stored.file}, but that file is not loaded here`
      : `${envKey} is not set`;
    return { ...base, state: 'signedOut', message };
  }
  const st: AuthMethodState = { ...base, state: 'signedIn', credential: { redacted: redact(e.value), source: e.source } };
  if (stored && stored.value !== e.value && e.source.path !== stored.file) {
    st.message = `${envKey} from ${e.source.layer === 'process' ? 'the environment' : (e.source.path ?? e.source.layer)} overrides the key stored in ${stored.file}`;
  }
  return st;
}

export async function authStatus(g: ConfigGraph, oauth: OAuthStatus): Promise<AuthStatusResult> {
  const homeValues = new Map<string, { file: string; value: string }>();
  for (const file of homeDotenvFiles(g).reverse()) {
    const vars = await readDotenv(file);
    for (const [k, v] of Object.entries(vars ?? {})) homeValues.set(k, { file, value: String(v) });
  }
  const methods: AuthMethodState[] = [];
  const q: AuthMethodState = { id: 'qwen-oauth', label: 'Qwen OAuth', login: 'qwen-oauth', authType: 'qwen-oauth', state: oauth.state };
  if (oauth.expiresAt) q.expiresAt = oauth.expiresAt;
  if (oauth.message) q.message = oauth.message;
  if (oauth.redactedToken) q.credential = { redacted: oauth.redactedToken, source: { layer: 'default', path: g.paths.oauthCreds } };
  methods.push(q);
  const region = Region.safeParse(getPath(g.merged.value, 'codingPlan.region'));
  const plan = await keyState(
    g,
    { id: 'coding-plan', label: 'Alibaba Cloud Coding Plan', login: 'coding-plan', authType: 'openai', envKey: CODING_PLAN_ENV_KEY },
    CODING_PLAN_ENV_KEY,
    homeValues,
  );
  if (region.success) plan.region = region.data;
  methods.push(plan);
  for (const { authType, envKey } of keyPairs(g)) {
    methods.push(
      await keyState(
        g,
        { id: `api-key:${authType}:${envKey}`, label: `${GROUP_LABEL[authType]} key (${envKey})`, login: 'api-key', authType, envKey },
        envKey,
        homeValues,
      ),
    );
  }
  return { active: g.active?.authType ?? null, activeSource: g.active?.source ?? null, methods };
}

/** What of a graph's credentials a client is told about when it changes. */
export function credentialSnapshot(g: ConfigGraph): Map<string, { authType: KeyAuthType; envKey: string; login: 'coding-plan' | 'api-key'; value: string }> {
  const out = new Map<string, { authType: KeyAuthType; envKey: string; login: 'coding-plan' | 'api-key'; value: string }>();
  out.set(CODING_PLAN_ENV_KEY, { authType: 'openai', envKey: CODING_PLAN_ENV_KEY, login: 'coding-plan', value: g.env.get(CODING_PLAN_ENV_KEY)?.value ?? '' });
  for (const { authType, envKey } of keyPairs(g)) {
    out.set(`${authType}:${envKey}`, { authType, envKey, login: 'api-key', value: g.env.get(envKey)?.value ?? '' });
  }
  return out;
}
