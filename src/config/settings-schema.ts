import * as z from 'zod/mini';
import '../protocol/zod-locale.js';

/**
 * The parts of Qwen Code's settings.json that this server reads. Everything
 * else passes through untouched: we share the file with Qwen Code.
 */
const Record = <T extends z.core.SomeType>(value: T) => z.optional(z.record(z.string(), value));

export const ModelConfig = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.optional(z.string()),
  description: z.optional(z.string()),
  envKey: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'envKey must be an environment variable name'))),
  // A `$VAR` reference is checked once expanded (config graph).
  baseUrl: z.optional(z.union([z.url(), z.string().check(z.regex(/\$\{?[A-Za-z_]/))], { error: 'Invalid URL' })),
  capabilities: Record(z.unknown()),
  // Which OpenAI wire an entry speaks (checked with the entry's protocol when the catalogue is built).
  wireApi: z.optional(z.string()),
  generationConfig: z.optional(
    z.looseObject({
      timeout: z.optional(z.int().check(z.positive())),
      maxRetries: z.optional(z.int().check(z.minimum(0))),
      samplingParams: Record(z.unknown()),
      customHeaders: Record(z.string()),
      extra_body: Record(z.unknown()),
      contextWindowSize: z.optional(z.number()),
    }),
  ),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

export const MODEL_PROVIDER_KEYS = ['openai', 'openai-responses', 'anthropic', 'gemini', 'vertex-ai'] as const;
/** For membership tests on keys read from a file. */
export const isModelProviderKey = (k: unknown): boolean => (MODEL_PROVIDER_KEYS as readonly unknown[]).includes(k);

export const Settings = z.looseObject({
  $version: z.optional(z.number()),
  model: z.optional(z.looseObject({ name: z.optional(z.string()) })),
  security: z.optional(
    z.looseObject({
      auth: z.optional(
        z.looseObject({ selectedType: z.optional(z.enum(['qwen-oauth', 'openai', 'openai-responses', 'anthropic', 'gemini', 'vertex-ai'])) }),
      ),
      folderTrust: z.optional(z.looseObject({ enabled: z.optional(z.boolean()) })),
    }),
  ),
  env: Record(z.string()),
  advanced: z.optional(z.looseObject({ excludedEnvVars: z.optional(z.array(z.string())) })),
  codingPlan: z.optional(z.looseObject({ region: z.optional(z.enum(['china', 'global'])), version: z.optional(z.string()) })),
  modelProviders: Record(z.array(ModelConfig)),
});
export type Settings = z.infer<typeof Settings>;

/**
 * What a settings file is checked against in one go; each model entry is
 * then checked on its own against ModelConfig, so that a file with a
 * thousand models never holds a thousand parsed copies at once.
 */
export const SettingsOutline = z.extend(Settings, { modelProviders: Record(z.array(z.unknown())) });
