import { z } from 'zod';
import {
  AuthState,
  AuthType,
  Credential,
  KeyAuthType,
  LoginMethod,
  ModelGroup,
  ModelRef,
  Region,
  Scope,
  Severity,
  Source,
  Warnings,
} from './common.js';
import { REQUEST_METHODS } from './names.js';

/** Params are objects; `undefined` (no params at all) counts as `{}`. */
const params = <T extends z.ZodRawShape>(shape: T) => z.preprocess((v) => v ?? {}, z.object(shape));

// ---- initialize -----------------------------------------------------------

export const InitializationOptions = z
  .object({
    model: z.string().min(1).optional(),
    authType: AuthType.optional(),
    openaiApiKey: z.string().min(1).optional(),
    openaiBaseUrl: z.string().url().optional(),
    cwd: z.string().min(1).optional(),
  })
  .passthrough();
export type InitializationOptions = z.infer<typeof InitializationOptions>;

/** The parts of LSP InitializeParams that the server reads. */
export const InitializeParams = z
  .object({
    processId: z.number().int().nullable().optional(),
    rootUri: z.string().nullable().optional(),
    rootPath: z.string().nullable().optional(),
    workspaceFolders: z
      .array(z.object({ uri: z.string(), name: z.string().optional() }).passthrough())
      .nullable()
      .optional(),
    capabilities: z
      .object({
        window: z
          .object({ showDocument: z.object({ support: z.boolean().optional() }).passthrough().optional() })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
    initializationOptions: InitializationOptions.nullable().optional(),
  })
  .passthrough();
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
  envKey: z.string().optional(),
  credential: Credential.optional(),
  expiresAt: z.string().optional(),
  region: Region.optional(),
  message: z.string().optional(),
});
export type AuthMethodState = z.infer<typeof AuthMethodState>;

export const AuthStatusParams = params({});
export const AuthStatusResult = z.object({
  active: AuthType.nullable(),
  activeSource: Source.nullable(),
  methods: z.array(AuthMethodState),
  warnings: Warnings,
});
export type AuthStatusResult = z.infer<typeof AuthStatusResult>;

/** A key as a person pastes it: one token, no white space, no control characters. */
export const ApiKey = z
  .string()
  .min(1, 'the key is empty')
  .max(4096, 'the key is too long to be an API key')
  .refine((k) => !/[\s\p{Cc}]/u.test(k), 'the key has white space or control characters in it');

export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name');

export const AuthLoginParams = z.preprocess(
  (v) => v ?? {},
  z.discriminatedUnion('method', [
    z.object({ method: z.literal('qwen-oauth'), openBrowser: z.boolean().optional() }),
    z.object({
      method: z.literal('coding-plan'),
      apiKey: ApiKey.refine((k) => k.startsWith('sk-sp-'), 'a Coding Plan key starts with sk-sp-'),
      region: Region.optional(),
    }),
    z.object({
      method: z.literal('api-key'),
      authType: KeyAuthType,
      apiKey: ApiKey,
      envKey: EnvName.optional(),
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
  warnings: Warnings,
});
export const AuthLoginResult = z.union([OAuthLoginResult, KeyLoginResult]);
export type AuthLoginResult = z.infer<typeof AuthLoginResult>;

export const AuthCancelParams = params({ loginId: z.string() });
export const AuthCancelResult = z.object({ cancelled: z.boolean() });

export const AuthLogoutParams = z.preprocess(
  (v) => v ?? {},
  z
    .object({ method: LoginMethod, authType: AuthType.optional(), envKey: EnvName.optional() })
    .refine((p) => p.method !== 'api-key' || p.authType !== 'qwen-oauth', {
      message: 'qwen-oauth has no API key: log out with method "qwen-oauth"',
      path: ['authType'],
    }),
);
export type AuthLogoutParams = z.infer<typeof AuthLogoutParams>;
export const AuthLogoutResult = z.object({ state: z.literal('signedOut'), warnings: Warnings });

// ---- models ---------------------------------------------------------------

export const ModelListParams = params({ refresh: z.boolean().optional() });
export const ModelListResult = z.object({
  selected: ModelRef.nullable(),
  groups: z.array(ModelGroup),
  warnings: Warnings,
});
export type ModelListResult = z.infer<typeof ModelListResult>;

export const SelectScope = z.enum(['user', 'workspace', 'session']);
export type SelectScope = z.infer<typeof SelectScope>;

export const ModelSelectParams = params({
  authType: AuthType.optional(),
  id: z.string().min(1),
  baseUrl: z.string().optional(),
  scope: SelectScope.optional(),
});
export type ModelSelectParams = z.infer<typeof ModelSelectParams>;
export const ModelSelectResult = z.object({
  selected: ModelRef,
  persistedTo: z.string().optional(),
  warnings: Warnings,
});
export type ModelSelectResult = z.infer<typeof ModelSelectResult>;

export const ModelTestParams = params({
  authType: AuthType,
  id: z.string().min(1),
  baseUrl: z.string().optional(),
});
export type ModelTestParams = z.infer<typeof ModelTestParams>;
export const ModelTestResult = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  error: z.object({ code: z.string(), message: z.string(), status: z.number().optional() }).optional(),
  warnings: Warnings,
});
export type ModelTestResult = z.infer<typeof ModelTestResult>;

// ---- config ---------------------------------------------------------------

export const Diagnostic = z.object({
  path: z.string(),
  message: z.string(),
  severity: Severity,
  range: z
    .object({
      start: z.object({ line: z.number(), character: z.number() }),
      end: z.object({ line: z.number(), character: z.number() }),
    })
    .optional(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const ConfigLayer = z.object({
  scope: Scope,
  path: z.string(),
  exists: z.boolean(),
  trusted: z.boolean(),
  error: z.string().nullable(),
});
export type ConfigLayer = z.infer<typeof ConfigLayer>;

export const ConfigResolveParams = params({});
export const ResolvedConfig = z.object({
  cwd: z.string(),
  layers: z.array(ConfigLayer),
  dotenv: z.object({
    path: z.string().nullable(),
    loaded: z.array(z.string()),
    excluded: z.array(z.string()),
    shadowed: z.array(z.string()),
  }),
  settings: z.record(z.string(), z.object({ value: z.unknown(), source: Source })),
  env: z.record(z.string(), z.object({ value: z.string().optional(), redacted: z.string().optional(), source: Source })),
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
  'auth/login': { params: AuthLoginParams, result: AuthLoginResult },
  'auth/cancel': { params: AuthCancelParams, result: AuthCancelResult },
  'auth/logout': { params: AuthLogoutParams, result: AuthLogoutResult },
  'model/list': { params: ModelListParams, result: ModelListResult },
  'model/select': { params: ModelSelectParams, result: ModelSelectResult },
  'model/test': { params: ModelTestParams, result: ModelTestResult },
  'config/resolve': { params: ConfigResolveParams, result: ResolvedConfig },
  'workspace/trust': { params: WorkspaceTrustParams, result: WorkspaceTrustResult },
} as const;
export type RequestName = keyof typeof Requests;
// The zod-free list the entry point uses must name exactly these methods: a type error otherwise.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameMethods: Same<RequestName, (typeof REQUEST_METHODS)[number]> = true;
void sameMethods;
export type ParamsOf<M extends RequestName> = z.infer<(typeof Requests)[M]['params']>;
export type ResultOf<M extends RequestName> = z.input<(typeof Requests)[M]['result']>;

export const SettingsScopeParam = Scope;
