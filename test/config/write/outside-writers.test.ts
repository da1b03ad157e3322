import assert from 'node:assert/strict';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { parse } from 'jsonc-parser';
import { editJsoncFile } from '../../../src/config/write/index.js';
import { tempDirForFile } from '../../support/temp-dir.js';

const dir = tempDirForFile('qas-write-outside-');

test('a settings file caught truncated by another program mid-save is waited for, never written over from empty', async () => {
  const file = join(dir, 'settings.json');
  await writeFile(file, '{ "modelProviders": { "openai": [] } }\n');
  // The other program has truncated the file and writes its new content a moment later.
  const fh = await open(file, 'r+');
  await fh.truncate(0);
  const finished = sleep(60).then(async () => {
    await fh.write('{ "modelProviders": { "openai": [] }, "theirs": 1 }\n', 0);
    await fh.close();
  });
  await editJsoncFile(file, [{ path: ['ours'], value: 2 }]);
  await finished;
  assert.deepEqual(parse(await readFile(file, 'utf8')), { modelProviders: { openai: [] }, theirs: 1, ours: 2 });
});

test("a settings file renamed away for a moment (Qwen Code's .orig, then its new copy) is waited for", async () => {
  const file = join(dir, 'qwen.json');
  await writeFile(file, '{ "a": 1 }\n');
  await rename(file, `${file}.orig`);
  const finished = sleep(60).then(async () => {
    await writeFile(file, '{ "a": 1, "theirs": 1 }\n');
    await rm(`${file}.orig`);
  });
  await editJsoncFile(file, [{ path: ['ours'], value: 2 }]);
  await finished;
  assert.deepEqual(parse(await readFile(file, 'utf8')), { a: 1, theirs: 1, ours: 2 });
});
