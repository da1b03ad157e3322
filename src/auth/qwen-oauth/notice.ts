import { type ConfigGraph, QWEN_OAUTH_FREE_TIER_END, qwenCodeTakesOAuth, USE_EXTERNAL_AUTH_SETTING } from '../../config/index.js';

/**
 * What a person must know about Qwen OAuth before relying on it with Qwen
 * Code 0.24 (auth/methods and auth/status carry it). The facts, with their
 * place in Qwen Code's bundle, are in config/qwen-code-facts.ts.
 */
export const QWEN_OAUTH_NOTICE =
  `The Qwen OAuth free tier ended on ${QWEN_OAUTH_FREE_TIER_END}. Qwen Code 0.24 uses a cached Qwen OAuth credential ` +
  `(~/.qwen/oauth_creds.json) only with ${USE_EXTERNAL_AUTH_SETTING}: true (without it, qwen -p refuses Qwen OAuth and /model will not choose coder-model). ` +
  'To let Qwen Code use the credential this server signed in with, add "security": {"auth": {"useExternal": true}} to ~/.qwen/settings.json.';

export interface QwenCodeUse {
  /** Whether Qwen Code would send this server's Qwen OAuth credential. */
  uses: boolean;
  /** A sentence saying why. */
  why: string;
}

/** Whether Qwen Code 0.24 would use the cached Qwen OAuth credential, given the resolved settings. */
export function qwenCodeUsesOAuthCredential(g: Pick<ConfigGraph, 'merged'>): QwenCodeUse {
  if (qwenCodeTakesOAuth(g.merged)) {
    return { uses: true, why: `${USE_EXTERNAL_AUTH_SETTING} is on: Qwen Code uses the cached Qwen OAuth credential` };
  }
  return {
    uses: false,
    why: `${USE_EXTERNAL_AUTH_SETTING} is not set: Qwen Code 0.24 refuses Qwen OAuth (its free tier ended on ${QWEN_OAUTH_FREE_TIER_END})`,
  };
}
