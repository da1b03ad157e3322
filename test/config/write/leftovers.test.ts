import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { editJsoncFile, sweepDeadWriters } from '../../../src/config/write/index.js';
import { SCRATCH, tempPathFor } from '../../../src/config/write/leftover-names.js';
import { filesIn } from '../../support/files-in.js';
import { deadPid } from '../../support/dead-pid.js';
import { tempDirForFile } from '../../support/temp-dir.js';

const dir = tempDirForFile('qas-write-leftovers-');

test('what dead writers left in the scratch folder, or beside the files (as earlier versions did), is removed; what live ones use, and what is not ours, stays', async () => {
  const folder = join(dir, 'sweep');
  await mkdir(folder);
  await writeFile(join(folder, 'settings.json'), '{}');
  await writeFile(join(folder, '.env'), 'KEY=1\n', { mode: 0o600 });
  const dead = deadPid();
  // This machine's tag, as in the temp file names this process uses.
  const tag = /\.(\d+)\.([0-9a-f]{4})[0-9a-f]{4}\.tmp$/.exec(tempPathFor(join(folder, 'x')))![2]!;
  const names = {
    deadTemp: `..env.${dead}.${tag}beef.tmp`,
    deadSettingsTemp: `.settings.json.${dead}.${tag}0001.tmp`,
    liveTemp: `..env.${process.pid}.${tag}0002.tmp`,
    otherHostTemp: `..env.${dead}.${tag === 'ffff' ? '0000' : 'ffff'}0003.tmp`,
    oldOtherHostTemp: `..env.${dead}.${tag === 'ffff' ? '0000' : 'ffff'}0004.tmp`,
    halfDeletedLock: `settings.json.lock.${dead}.${tag}0005.old`,
    notOurs: '.env.swp',
  };
  const old = new Date(Date.now() - 3600_000);
  for (const where of [folder, join(folder, SCRATCH)]) {
    for (const n of Object.values(names)) await writeFile(join(where, n), 'sk-a-key-in-a-temp-file');
    await utimes(join(where, names.oldOtherHostTemp), old, old);
    await mkdir(join(where, '.env.lock'));
    await writeFile(join(where, '.env.lock', 'holder'), JSON.stringify({ holder: 'qwen-agent-server', pid: dead, host: hostname() }));
  }

  await sweepDeadWriters([join(folder, 'settings.json'), join(folder, '.env')]);

  const kept = [names.notOurs, names.liveTemp, names.otherHostTemp];
  assert.deepEqual(await filesIn(folder), ['.env', 'settings.json', ...kept, ...kept.map((n) => `${SCRATCH}/${n}`)].sort());
});

test('a write sweeps the folder of its file first', async () => {
  const folder = join(dir, 'before-write');
  await mkdir(folder);
  const file = join(folder, 'settings.json');
  await writeFile(file, '{}');
  await mkdir(join(folder, SCRATCH));
  const leftover = join(folder, SCRATCH, `.settings.json.${deadPid()}.00000000.tmp`);
  await writeFile(leftover, '{"half": ');
  const old = new Date(Date.now() - 3600_000);
  await utimes(leftover, old, old);
  await editJsoncFile(file, [{ path: ['a'], value: 1 }]);
  assert.deepEqual(await filesIn(folder), ['settings.json']);
});
