import { ServerError } from '../../protocol/index.js';

export interface OAuthEndpoints {
  deviceAuthorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  scope: string;
  /** What an id_token's `iss` must say: the token URL's origin. */
  issuer: string;
  /** Plain http, allowed for loopback hosts only. */
  insecure: boolean;
}

const QWEN = {
  deviceAuthorizationUrl: 'https://chat.qwen.ai/api/v1/oauth2/device/code',
  tokenUrl: 'https://chat.qwen.ai/api/v1/oauth2/token',
  clientId: 'f0304373b74a44d2b584a3fb70ca9e56',
  scope: 'openid profile email model.completion',
};

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function checkUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ServerError('LoginFailed', `${name} is not a URL`, { hint: `fix or unset ${name}` });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new ServerError('LoginFailed', `${name} must use https (plain http is allowed only for 127.0.0.1 and localhost)`, {
    hint: `fix or unset ${name}`,
  });
}

/** Qwen's endpoints, or those the QWEN_OAUTH_* variables name. */
export function resolveOAuthEndpoints(env: NodeJS.ProcessEnv): OAuthEndpoints {
  const device = checkUrl('QWEN_OAUTH_DEVICE_AUTHORIZATION_URL', env.QWEN_OAUTH_DEVICE_AUTHORIZATION_URL || QWEN.deviceAuthorizationUrl);
  const token = checkUrl('QWEN_OAUTH_TOKEN_URL', env.QWEN_OAUTH_TOKEN_URL || QWEN.tokenUrl);
  return {
    deviceAuthorizationUrl: device.href,
    tokenUrl: token.href,
    clientId: env.QWEN_OAUTH_CLIENT_ID || QWEN.clientId,
    scope: QWEN.scope,
    issuer: token.origin,
    insecure: device.protocol === 'http:' || token.protocol === 'http:',
  };
}
