export * from './chat.js';
export * from './common.js';
export * from './errors.js';
export * from './methods.js';
export { AUTH_TYPE_NAMES, NOTIFICATION_METHODS, PRESET_METHODS, REQUEST_METHODS } from './names.js';
export * from './notifications.js';
export * from './redact.js';
