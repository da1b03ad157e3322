export { createContentTypeDecoder } from './decoder.js';
export { Logger, type LogLevel } from './logger.js';
export { type Handler, type HandlerTable, type Lifecycle, registerHandlers, toResponseError } from './router.js';
