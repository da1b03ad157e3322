/** Outgoing HTTP: the proxy-aware fetch, the egress guard every request passes, and network errors in words. */
export { describeNetworkError } from './describe.js';
export { type EgressCall, EgressGuard, type EgressGuardOptions, TRUST_HINT } from './guard.js';
export { compileEgressPolicy, type Credential, type EgressPolicy, type EgressPolicyInput, MIN_CREDENTIAL_LENGTH } from './policy.js';
export { createProxyFetch } from './proxy.js';
