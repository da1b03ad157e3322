export { type AtomicWriteOptions, writeFileAtomic } from './atomic.js';
export {
  type FileLockOptions,
  resolveWriteTarget,
  type UpdateFileOptions,
  type UpdateFileResult,
  updateFileLocked,
  withFileLock,
} from './lock.js';
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
