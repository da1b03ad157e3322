import * as z from 'zod/mini';
import {
  AuthState,
  AuthType,
  Credential,
  KeyAuthType,
  KnownLoginMethod,
  LoginMethod,
  ModelGroup,
  ModelRef,
  PresetMethod,
  Scope,
  Severity,
  Source,
  Warnings,
} from './common.js';
import { ChatRequests } from './chat.js';
import { REQUEST_METHODS } from './names.js';

/** Params are objects; `undefined` (no params at all) counts as `{}`. */
const params = <T extends z.core.$ZodLooseShape>(shape: T) => z.pipe(z.transform((v: unknown) => v ?? {}), z.object(shape));

// ---- initialize -----------------------------------------------------------

const NonEmpty = z.string().check(z.minLength(1));

export const InitializationOptions = z.looseObject({
  model: z.optional(NonEmpty),
  authType: z.optional(AuthType),
  openaiApiKey: z.optional(NonEmpty),
  openaiBaseUrl: z.optional(z.url()),
  cwd: z.optional(NonEmpty),
});
export type InitializationOptions = z.infer<typeof InitializationOptions>;

/** The parts of LSP InitializeParams that the server reads. */
export const InitializeParams = z.looseObject({
  processId: z.nullish(z.int()),
  rootUri: z.nullish(z.string()),
  rootPath: z.nullish(z.string()),
  workspaceFolders: z.nullish(z.array(z.looseObject({ uri: z.string(), name: z.optional(z.string()) }))),
  capabilities: z.optional(
    z.looseObject({
      window: z.optional(z.looseObject({ showDocument: z.optional(z.looseObject({ support: z.optional(z.boolean()) })) })),
    }),
  ),
  initializationOptions: z.nullish(InitializationOptions),
});
export type InitializeParams = z.infer<typeof InitializeParams>;

export const InitializeResult = z.object({
  serverInfo: z.object({ name: z.string(), version: z.string() }),
  capabilities: z.object({
    experimental: z.object({
      qwenAgent: z.object({
        protocolVersion: z.number(),
        methods: z.array(z.string()),
        notifications: z.array(z.string()),
      }),
    }),
  }),
});
export type InitializeResult = z.infer<typeof InitializeResult>;

// ---- auth -----------------------------------------------------------------

export const AuthMethodState = z.object({
  id: z.string(),
  label: z.string(),
  login: LoginMethod,
  authType: AuthType,
  state: AuthState,
  envKey: z.optional(z.string()),
  credential: z.optional(Credential),
  /** Whether the provider accepted (true) or refused (false) this credential the last time it was asked; absent if never (v2). */
  verified: z.optional(z.boolean()),
  expiresAt: z.optional(z.string()),
  region: z.optional(z.string()),
  message: z.optional(z.string()),
  notice: z.optional(z.string()),
});
export type AuthMethodState = z.infer<typeof AuthMethodState>;

/** One input of a login option (PROTOCOL.md auth/methods, v2). */
export const LoginField = z.object({
  name: z.enum(['apiKey', 'region', 'baseUrl', 'authType', 'envKey', 'models']),
  label: z.string(),
  secret: z.optional(z.boolean()),
  optional: z.optional(z.boolean()),
  placeholder: z.optional(z.string()),
  /** A sentence the value must satisfy (`starts with sk-sp-`). */
  rule: z.optional(z.string()),
  /** For a region: its value, label and endpoint host. */
  choices: z.optional(z.array(z.object({ value: z.string(), label: z.string(), detail: z.optional(z.string()) }))),
  default: z.optional(z.union([z.string(), z.array(z.string())])),
});
export type LoginField = z.infer<typeof LoginField>;

export const LoginOption = z.object({
  id: LoginMethod,
  label: z.string(),
  description: z.optional(z.string()),
  group: z.optional(z.string()),
  authType: AuthType,
  envKey: z.optional(z.string()),
  documentationUrl: z.optional(z.string()),
  notice: z.optional(z.string()),
  fields: z.array(LoginField),
});
export type LoginOption = z.infer<typeof LoginOption>;

export const AuthMethodsParams = params({});
export const AuthMethodsResult = z.object({ methods: z.array(LoginOption), warnings: Warnings });
export type AuthMethodsResult = z.infer<typeof AuthMethodsResult>;

export const AuthStatusParams = params({});
export const AuthStatusResult = z.object({
  active: z.nullable(AuthType),
  activeSource: z.nullable(Source),
  methods: z.array(AuthMethodState),
  warnings: Warnings,
});
export type AuthStatusResult = z.infer<typeof AuthStatusResult>;

/** A key as a person pastes it: one token, no white space, no control characters. */
export const ApiKey = z
  .string()
  .check(
    z.minLength(1, 'the key is empty'),
    z.maxLength(4096, 'the key is too long to be an API key'),
    z.refine((k) => !/[\s\p{Cc}]/u.test(k), 'the key has white space or control characters in it'),
  );

export const EnvName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'));

export const AuthLoginParams = z.pipe(
  z.transform((v: unknown) => v ?? {}),
  z.discriminatedUnion('method', [
    z.object({ method: z.literal('qwen-oauth'), openBrowser: z.optional(z.boolean()) }),
    z.object({
      /** A preset; its own key rule (Coding Plan: `sk-sp-`) is checked by the handler, which knows the preset. */
      method: PresetMethod,
      apiKey: ApiKey,
      /** A region value of the option's `region` field (Coding Plan: `china`, `global`). */
      region: z.optional(NonEmpty),
      /** Custom Provider: the endpoint; a preset: one of its own (picks the region). */
      baseUrl: z.optional(z.url()),
      /** The model ids to install, in order (default: all the preset lists). */
      models: z.optional(z.array(NonEmpty).check(z.minLength(1))),
      /** Custom Provider only: `openai` (default), `anthropic` or `gemini`. */
      authType: z.optional(KeyAuthType),
      verify: z.optional(z.boolean()),
    }),
    z.object({
      method: z.literal('api-key'),
      authType: KeyAuthType,
      apiKey: ApiKey,
      envKey: z.optional(EnvName),
      verify: z.optional(z.boolean()),
    }),
  ]),
);
export type AuthLoginParams = z.infer<typeof AuthLoginParams>;

export const OAuthLoginResult = z.object({
  loginId: z.string(),
  state: z.literal('pending'),
  verificationUri: z.string(),
  verificationUriComplete: z.string(),
  userCode: z.string(),
  expiresAt: z.string(),
  interval: z.number(),
});
export const KeyLoginResult = z.object({
  state: z.literal('signedIn'),
  envKey: z.string(),
  credential: Credential,
  storedIn: z.string(),
  /** The provider accepted the key (false: not checked, or it could not be reached; a warning says which) (v2). */
  verified: z.boolean(),
  /** The effective model, when the login changed it (v2). */
  selected: z.optional(ModelRef),
  /** The settings keys written, by file (v2). */
  changed: z.optional(z.array(z.object({ path: z.string(), keys: z.array(z.string()) }))),
  warnings: Warnings,
});
export const AuthLoginResult = z.union([OAuthLoginResult, KeyLoginResult]);
export type AuthLoginResult = z.infer<typeof AuthLoginResult>;

export const AuthCancelParams = params({ loginId: z.string() });
export const AuthCancelResult = z.object({ cancelled: z.boolean() });

export const AuthLogoutParams = z.pipe(
  z.transform((v: unknown) => v ?? {}),
  z.object({ method: KnownLoginMethod, authType: z.optional(AuthType), envKey: z.optional(EnvName) }).check(
    z.refine((p) => p.method !== 'api-key' || p.authType !== 'qwen-oauth', {
      message: 'qwen-oauth has no API key: log out with method "qwen-oauth"',
      path: ['authType'],
    }),
  ),
);
export type AuthLogoutParams = z.infer<typeof AuthLogoutParams>;
export const AuthLogoutResult = z.object({
  state: z.literal('signedOut'),
  /** What was removed, and what stays (a preset's models stay, as in Qwen Code) (v2). */
  message: z.optional(z.string()),
  warnings: Warnings,
});

// ---- models ---------------------------------------------------------------

export const ModelListParams = params({ refresh: z.optional(z.boolean()) });
export const ModelListResult = z.object({
  selected: z.nullable(ModelRef),
  groups: z.array(ModelGroup),
  warnings: Warnings,
});
export type ModelListResult = z.infer<typeof ModelListResult>;

export const SelectScope = z.enum(['user', 'workspace', 'session']);
export type SelectScope = z.infer<typeof SelectScope>;

export const ModelSelectParams = params({
  authType: z.optional(AuthType),
  id: NonEmpty,
  baseUrl: z.optional(z.string()),
  scope: z.optional(SelectScope),
});
export type ModelSelectParams = z.infer<typeof ModelSelectParams>;
export const ModelSelectResult = z.object({
  selected: ModelRef,
  persistedTo: z.optional(z.string()),
  /** What still decides the model instead of this choice (`--model`, a session choice, a higher settings file). */
  overriddenBy: z.optional(Source),
  warnings: Warnings,
});
export type ModelSelectResult = z.infer<typeof ModelSelectResult>;

export const ModelTestParams = params({
  authType: AuthType,
  id: NonEmpty,
  baseUrl: z.optional(z.string()),
});
export type ModelTestParams = z.infer<typeof ModelTestParams>;
export const ModelTestResult = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  error: z.optional(z.object({ code: z.string(), message: z.string(), status: z.optional(z.number()) })),
  warnings: Warnings,
});
export type ModelTestResult = z.infer<typeof ModelTestResult>;

// ---- config ---------------------------------------------------------------

export const Diagnostic = z.object({
  path: z.string(),
  message: z.string(),
  severity: Severity,
  range: z.optional(
    z.object({
      start: z.object({ line: z.number(), character: z.number() }),
      end: z.object({ line: z.number(), character: z.number() }),
    }),
  ),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const ConfigLayer = z.object({
  scope: Scope,
  path: z.string(),
  exists: z.boolean(),
  trusted: z.boolean(),
  error: z.nullable(z.string()),
});
export type ConfigLayer = z.infer<typeof ConfigLayer>;

export const ConfigResolveParams = params({});
export const ResolvedConfig = z.object({
  cwd: z.string(),
  layers: z.array(ConfigLayer),
  /** Every `.env` file loaded, in load order: the first project file found, then the home files. */
  dotenvFiles: z.array(
    z.object({
      path: z.string(),
      scope: z.enum(['project', 'home']),
      loaded: z.array(z.string()),
      excluded: z.array(z.string()),
      shadowed: z.array(z.string()),
    }),
  ),
  settings: z.record(z.string(), z.object({ value: z.unknown(), source: Source })),
  env: z.record(z.string(), z.object({ value: z.optional(z.string()), redacted: z.optional(z.string()), source: Source })),
  diagnostics: z.array(Diagnostic),
  warnings: Warnings,
});
export type ResolvedConfig = z.infer<typeof ResolvedConfig>;

export const TrustLevel = z.enum(['TRUST_FOLDER', 'TRUST_PARENT', 'DO_NOT_TRUST']);
export type TrustLevel = z.infer<typeof TrustLevel>;
export const WorkspaceTrustParams = params({ level: TrustLevel });
export const WorkspaceTrustResult = z.object({ trusted: z.boolean(), warnings: Warnings });

/** Every request the server answers after `initialize`, with its schemas. */
export const Requests = {
  'auth/status': { params: AuthStatusParams, result: AuthStatusResult },
  'auth/methods': { params: AuthMethodsParams, result: AuthMethodsResult },
  'auth/login': { params: AuthLoginParams, result: AuthLoginResult },
  'auth/cancel': { params: AuthCancelParams, result: AuthCancelResult },
  'auth/logout': { params: AuthLogoutParams, result: AuthLogoutResult },
  'model/list': { params: ModelListParams, result: ModelListResult },
  'model/select': { params: ModelSelectParams, result: ModelSelectResult },
  'model/test': { params: ModelTestParams, result: ModelTestResult },
  'config/resolve': { params: ConfigResolveParams, result: ResolvedConfig },
  'workspace/trust': { params: WorkspaceTrustParams, result: WorkspaceTrustResult },
  ...ChatRequests,
} as const;
export type RequestName = keyof typeof Requests;
// The zod-free list the entry point uses must name exactly these methods: a type error otherwise.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameMethods: Same<RequestName, (typeof REQUEST_METHODS)[number]> = true;
void sameMethods;
/**
 * Requests that change state (PROTOCOL.md, Transport). The server applies
 * them one at a time, in the order they arrive, and answers each from the
 * state its own change made; any other request waits only for the changes
 * that arrived before it.
 */
export const STATE_CHANGING_METHODS: ReadonlySet<RequestName> = new Set<RequestName>([
  'auth/login',
  'auth/cancel',
  'auth/logout',
  'model/select',
  'workspace/trust',
]);
export type ParamsOf<M extends RequestName> = z.infer<(typeof Requests)[M]['params']>;
export type ResultOf<M extends RequestName> = z.input<(typeof Requests)[M]['result']>;

export const SettingsScopeParam = Scope;
