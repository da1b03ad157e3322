export * from './common.js';
export * from './errors.js';
export * from './methods.js';
export * from './notifications.js';
export * from './redact.js';
