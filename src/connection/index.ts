export { createContentTypeDecoder } from './decoder.js';
export { type Handle, registerMethods } from './dispatch.js';
export { endWithClient, type Lifecycle, watchParent } from './lifecycle.js';
export { Logger, type LogLevel } from './logger.js';
export { decodeResult, type Encoded, encodeResult } from './encoded.js';
export { FrameWriter } from './writer.js';
