export { checkInitialize, type Handle, type Lifecycle, notInitialized, registerMethods } from './dispatch.js';
export { LazyApp, type StartedApp } from './lazy-app.js';
export { Logger, type LogLevel } from './logger.js';
export { decodeResult, type Encoded, encodeResult } from './encoded.js';
export { openTransport, type Transport } from './transport.js';
