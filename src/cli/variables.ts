import type { Credential } from './handover.js';

/** Name and value, in the order they are printed. */
export type Variables = [name: string, value: string][];

/**
 * The variables the tools of each wire protocol read: the OpenAI SDKs and
 * everything OpenAI-compatible (`OPENAI_API_BASE` for older ones such as
 * LangChain's and llm's), Anthropic's SDKs, and @google/genai (which reads
 * `GOOGLE_GEMINI_BASE_URL` / `GOOGLE_VERTEX_BASE_URL`). Qwen OAuth's
 * coder-model is OpenAI-compatible: its token is the key.
 */
export function variablesFor(c: Credential): Variables {
  const { key, baseUrl } = c;
  const id = c.model.id;
  switch (c.model.authType) {
    case 'openai':
    case 'openai-responses':
    case 'qwen-oauth':
      return [
        ['OPENAI_API_KEY', key],
        ['OPENAI_BASE_URL', baseUrl],
        ['OPENAI_API_BASE', baseUrl],
        ['OPENAI_MODEL', id],
      ];
    case 'anthropic':
      return [
        ['ANTHROPIC_API_KEY', key],
        ['ANTHROPIC_BASE_URL', baseUrl],
        ['ANTHROPIC_MODEL', id],
      ];
    case 'gemini':
      return [
        ['GEMINI_API_KEY', key],
        ['GOOGLE_GEMINI_BASE_URL', baseUrl],
        ['GEMINI_MODEL', id],
      ];
    case 'vertex-ai':
      return [
        ['GOOGLE_API_KEY', key],
        ['GOOGLE_VERTEX_BASE_URL', baseUrl],
        ['GOOGLE_MODEL', id],
        ['GOOGLE_GENAI_USE_VERTEXAI', 'true'],
      ];
  }
}

/** Variables of `env` that these replace with another value: the person may not expect it. */
export function replacedNames(vars: Variables, env: NodeJS.ProcessEnv): string[] {
  return vars.flatMap(([name, value]) => (env[name] && env[name] !== value ? [name] : []));
}
