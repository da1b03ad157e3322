import * as z from 'zod/mini';
import './zod-locale.js';

import { AUTH_TYPE_NAMES, PRESET_METHODS } from './names.js';

export { PROTOCOL_VERSION } from './names.js';

export const AuthType = z.enum(AUTH_TYPE_NAMES);
export type AuthType = z.infer<typeof AuthType>;
/** The order of model groups, and of auth types everywhere a person sees them. */
export const AUTH_TYPES: readonly AuthType[] = AuthType.options;

/** The auth types that `modelProviders` and API keys serve. */
export const KeyAuthType = z.enum(['openai', 'openai-responses', 'anthropic', 'gemini', 'vertex-ai']);
export type KeyAuthType = z.infer<typeof KeyAuthType>;

/**
 * A login method: the `id` of an `auth/methods` entry (`qwen-oauth`,
 * `api-key`, or a preset of PRESET_METHODS). A string on the wire, so that a
 * client built for today's list reads tomorrow's (v2).
 */
export const LoginMethod = z.string().check(z.minLength(1));
export type LoginMethod = z.infer<typeof LoginMethod>;

// The ids of src/auth/presets/fixture.ts: a test build's (scripts/build.mjs,
// QAS_FIXTURE_PRESETS), none in any other. Typed as no ids, so that the
// types (and schema/) stay those of the real table.
declare const __QAS_FIXTURE_PRESET_IDS__: [] | undefined;
const FIXTURE_METHODS = typeof __QAS_FIXTURE_PRESET_IDS__ === 'undefined' ? [] : __QAS_FIXTURE_PRESET_IDS__;

/** The login methods this server knows: what `auth/logout` accepts. */
export const KnownLoginMethod = z.enum(['qwen-oauth', 'api-key', ...PRESET_METHODS, ...FIXTURE_METHODS]);
export type KnownLoginMethod = z.infer<typeof KnownLoginMethod>;
export const PresetMethod = z.enum([...PRESET_METHODS, ...FIXTURE_METHODS]);
export type PresetMethod = z.infer<typeof PresetMethod>;

export const Scope = z.enum(['systemDefaults', 'user', 'workspace', 'system']);
export type Scope = z.infer<typeof Scope>;


export const SourceLayer = z.enum([
  'cli',
  'initializationOptions',
  'process',
  'dotenv',
  'settings',
  'builtin',
  'session',
  'remote',
  'default',
]);
export type SourceLayer = z.infer<typeof SourceLayer>;

export const Source = z.object({
  layer: SourceLayer,
  /** A settings scope; for a `.env` file, `project` (found from the project folder up) or `home`. */
  scope: z.optional(z.enum([...Scope.options, 'project', 'home'])),
  path: z.optional(z.string()),
});
export type Source = z.infer<typeof Source>;

/** A secret as it may appear on the wire: see redact(). */
export const Redacted = z.string();

export const Warnings = z.optional(z.array(z.string()));

export const AuthState = z.enum(['signedIn', 'signedOut', 'expired', 'pending', 'error']);
export type AuthState = z.infer<typeof AuthState>;

export const LoginErrorReason = z.enum(['expired', 'denied', 'cancelled', 'network', 'server']);
export type LoginErrorReason = z.infer<typeof LoginErrorReason>;

export const Credential = z.object({ redacted: Redacted, source: Source });
export type Credential = z.infer<typeof Credential>;

export const ModelRef = z.object({
  authType: AuthType,
  id: z.string(),
  baseUrl: z.optional(z.string()),
  source: Source,
});
export type ModelRef = z.infer<typeof ModelRef>;

export const Model = z.object({
  id: z.string(),
  name: z.string(),
  authType: AuthType,
  baseUrl: z.optional(z.string()),
  envKey: z.optional(z.string()),
  description: z.optional(z.string()),
  /** The preset whose install wrote this entry (v2). */
  preset: z.optional(LoginMethod),
  available: z.boolean(),
  unavailableReason: z.optional(z.string()),
  selected: z.boolean(),
  source: Source,
});
export type Model = z.infer<typeof Model>;

export const ModelGroup = z.object({
  authType: AuthType,
  label: z.string(),
  models: z.array(Model),
});
export type ModelGroup = z.infer<typeof ModelGroup>;

export const Severity = z.enum(['error', 'warning', 'information', 'hint']);
export type Severity = z.infer<typeof Severity>;
