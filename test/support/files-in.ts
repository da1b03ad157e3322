import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SCRATCH } from '../../src/config/write/leftover-names.js';

/**
 * What a folder holds, as far as a person looking for leftovers cares: its
 * entries, with the writers' scratch folder (which stays, empty, once
 * made) replaced by what is inside it, as `.qwen-agent-server/<name>`.
 */
export async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    if (name !== SCRATCH) out.push(name);
    else for (const inner of await readdir(join(dir, name))) out.push(`${SCRATCH}/${inner}`);
  }
  return out.sort();
}
