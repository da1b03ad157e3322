import { spawnSync } from 'node:child_process';

/** A pid that no process has any more: that of a child that has just exited. */
export function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}
