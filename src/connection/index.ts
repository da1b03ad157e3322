export { createContentTypeDecoder } from './decoder.js';
export { type Handle, type Lifecycle, registerMethods } from './dispatch.js';
export { Logger, type LogLevel } from './logger.js';
export { decodeResult, type Encoded, encodeResult } from './encoded.js';
export { FrameWriter } from './writer.js';
