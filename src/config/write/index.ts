export { type AtomicWriteOptions, writeFileAtomic } from './atomic.js';
export { type FileLockOptions, withFileLock } from './lock.js';
export { resolveWriteTarget } from './target.js';
export { type UpdateFileOptions, type UpdateFileResult, updateFileLocked } from './update.js';
export { sweepAtStart, sweepDeadWriters } from './sweep.js';
export {
  applyJsoncEdits,
  type EditJsoncOptions,
  type EditJsoncResult,
  editJsoncFile,
  type JsonEdit,
  type JsonEdits,
  type JsonPath,
} from './jsonc-edit.js';
export { readDotenvFile, removeDotenvVar, removeDotenvVarInText, setDotenvVar, setDotenvVarInText } from './dotenv-edit.js';
