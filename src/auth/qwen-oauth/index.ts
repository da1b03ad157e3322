export { type LoginEnded, type LoginStarted, type OAuthChanged, QwenOAuth, type QwenOAuthOptions } from './manager.js';
export { QwenCredentials, readCredentials } from './credentials.js';
export { resolveOAuthEndpoints } from './endpoints.js';
