import { z } from 'zod';

/**
 * The parts of Qwen Code's settings.json that this server reads. Everything
 * else passes through untouched: we share the file with Qwen Code.
 */
export const ModelConfig = z
  .object({
    id: z.string().min(1),
    name: z.string().optional(),
    description: z.string().optional(),
    envKey: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'envKey must be an environment variable name').optional(),
    baseUrl: z.string().url().optional(),
    capabilities: z.record(z.string(), z.unknown()).optional(),
    generationConfig: z
      .object({
        timeout: z.number().int().positive().optional(),
        maxRetries: z.number().int().min(0).optional(),
        samplingParams: z.record(z.string(), z.unknown()).optional(),
        customHeaders: z.record(z.string(), z.string()).optional(),
        extra_body: z.record(z.string(), z.unknown()).optional(),
        contextWindowSize: z.number().optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type ModelConfig = z.infer<typeof ModelConfig>;

export const MODEL_PROVIDER_KEYS = ['openai', 'anthropic', 'gemini', 'vertex-ai'] as const;

export const Settings = z
  .object({
    $version: z.number().optional(),
    model: z.object({ name: z.string().optional() }).passthrough().optional(),
    security: z
      .object({
        auth: z
          .object({
            selectedType: z.enum(['qwen-oauth', 'openai', 'anthropic', 'gemini', 'vertex-ai']).optional(),
          })
          .passthrough()
          .optional(),
        folderTrust: z.object({ enabled: z.boolean().optional() }).passthrough().optional(),
      })
      .passthrough()
      .optional(),
    env: z.record(z.string(), z.string()).optional(),
    advanced: z.object({ excludedEnvVars: z.array(z.string()).optional() }).passthrough().optional(),
    codingPlan: z
      .object({ region: z.enum(['china', 'global']).optional(), version: z.string().optional() })
      .passthrough()
      .optional(),
    modelProviders: z.record(z.string(), z.array(ModelConfig)).optional(),
  })
  .passthrough();
export type Settings = z.infer<typeof Settings>;
