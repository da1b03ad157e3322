import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lockPathFor } from '../../src/config/write/leftover-names.js';

/** Makes the lock folder of `file` as a server would hold it, naming `holder` (this machine unless it says otherwise). Returns the lock's path. */
export async function lockHeldBy(file: string, holder: { pid: number; host?: string; start?: string }): Promise<string> {
  const lock = lockPathFor(file);
  await mkdir(lock);
  await writeFile(join(lock, 'holder'), JSON.stringify({ holder: 'qwen-agent-server', host: hostname(), ...holder }));
  return lock;
}
