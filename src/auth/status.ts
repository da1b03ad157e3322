import { type ConfigGraph, DEFAULT_ENV_KEY, fallbackKey, getPath, GROUP_LABEL, readDotenv } from '../config/index.js';
import {
  type AuthMethodState,
  type AuthStatusResult,
  KeyAuthType,
  redact,
} from '../protocol/index.js';
import { homeDotenvFiles } from './keys.js';
import { CUSTOM_ENV_PREFIX, ownsEntry, PRESETS, type Preset, regionOfBaseUrl, regionValue } from './presets/index.js';
import { verdictFor } from './verified.js';
import { QWEN_OAUTH_NOTICE, qwenCodeUsesOAuthCredential } from './qwen-oauth/notice.js';

export interface OAuthStatus {
  state: 'signedIn' | 'signedOut' | 'expired' | 'pending' | 'error';
  expiresAt?: string;
  message?: string;
  redactedToken?: string;
  resourceUrl?: string;
}

/** A preset that has been set up here: its key is set anywhere, or its models are in modelProviders. */
export interface PresetUse {
  preset: Preset;
  authType: KeyAuthType;
  envKey: string;
  /** The region value of its entries (or of its providerMetadata), for presets with several. */
  region?: string;
}

/** Every preset set up here, in menu order; Custom Provider once per variable its entries use. */
export function presetUses(g: ConfigGraph): PresetUse[] {
  const out: PresetUse[] = [];
  for (const preset of PRESETS) {
    if (preset.group === 'custom') {
      const seen = new Set<string>();
      for (const m of g.catalogue) {
        if (m.authType === 'qwen-oauth' || !m.envKey?.startsWith(CUSTOM_ENV_PREFIX) || seen.has(m.envKey)) continue;
        seen.add(m.envKey);
        out.push({ preset, authType: m.authType, envKey: m.envKey });
      }
      continue;
    }
    const owned = g.catalogue.find((m) => m.authType === preset.protocol && ownsEntry(preset, { ...m.config, envKey: m.envKey, baseUrl: m.baseUrl, name: m.config?.name }));
    const set = (g.env.get(preset.envKey)?.value ?? '') !== '';
    if (!owned && !set) continue;
    const region = regionOfBaseUrl(preset, owned?.baseUrl ?? getPath(g.merged.value, `providerMetadata.${preset.id}.baseUrl`));
    const use: PresetUse = { preset, authType: preset.protocol, envKey: preset.envKey };
    if (region && preset.regions.length > 1 && regionValue(region)) use.region = regionValue(region)!;
    out.push(use);
  }
  return out;
}

/** Every (authType, envKey) pair a configured model uses, plus each auth type's default key, less the presets' own. */
export function keyPairs(g: ConfigGraph, presets: readonly PresetUse[] = presetUses(g)): { authType: KeyAuthType; envKey: string }[] {
  const seen = new Set<string>(presets.map((u) => `${u.authType}:${u.envKey}`));
  const out: { authType: KeyAuthType; envKey: string }[] = [];
  const add = (authType: KeyAuthType, envKey: string) => {
    const k = `${authType}:${envKey}`;
    if (seen.has(k)) return;
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
  const verified = base.authType === 'qwen-oauth' ? undefined : verdictFor({ authType: base.authType, envKey, apiKey: e.value });
  if (verified !== undefined) st.verified = verified;
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
  q.notice = QWEN_OAUTH_NOTICE;
  const qwenCode = qwenCodeUsesOAuthCredential(g);
  if (!q.message && !qwenCode.uses && (q.state === 'signedIn' || q.state === 'expired')) q.message = qwenCode.why;
  methods.push(q);
  const presets = presetUses(g);
  for (const u of presets) {
    const custom = u.preset.group === 'custom';
    const st = await keyState(
      g,
      {
        id: custom ? `${u.preset.id}:${u.envKey}` : u.preset.id,
        label: custom ? `${u.preset.label} (${u.envKey})` : u.preset.label,
        login: u.preset.id,
        authType: u.authType,
        envKey: u.envKey,
      },
      u.envKey,
      homeValues,
    );
    if (u.region) st.region = u.region;
    methods.push(st);
  }
  for (const { authType, envKey } of keyPairs(g, presets)) {
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

/**
 * What of a graph's credentials a client is told about when it changes, by
 * `<authType>:<envKey>`. Every preset's key is watched, set up or not, so that
 * a key appearing in a `.env` file is announced under its preset.
 */
type CredentialSnapshot = Map<string, { authType: KeyAuthType; envKey: string; login: string; value: string }>;

/** Worked out once per graph (a graph is replaced, never changed): every recompute compares the one before with the one after. */
const snapshots = new WeakMap<ConfigGraph, CredentialSnapshot>();

export function credentialSnapshot(g: ConfigGraph): CredentialSnapshot {
  let known = snapshots.get(g);
  if (!known) snapshots.set(g, (known = takeSnapshot(g)));
  return known;
}

function takeSnapshot(g: ConfigGraph): CredentialSnapshot {
  const out: CredentialSnapshot = new Map();
  const presets = presetUses(g);
  for (const p of PRESETS) {
    if (p.group !== 'custom') out.set(`${p.protocol}:${p.envKey}`, { authType: p.protocol, envKey: p.envKey, login: p.id, value: g.env.get(p.envKey)?.value ?? '' });
  }
  for (const u of presets) {
    if (u.preset.group === 'custom') out.set(`${u.authType}:${u.envKey}`, { authType: u.authType, envKey: u.envKey, login: u.preset.id, value: g.env.get(u.envKey)?.value ?? '' });
  }
  for (const { authType, envKey } of keyPairs(g, presets)) {
    const k = `${authType}:${envKey}`;
    if (!out.has(k)) out.set(k, { authType, envKey, login: 'api-key', value: g.env.get(envKey)?.value ?? '' });
  }
  return out;
}
