import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, test } from 'node:test';
import { parse } from 'jsonc-parser';
import { readTextSync } from '../../../src/config/read-text.js';
import { editJsoncFile, setDotenvVar, sweepDeadWriters } from '../../../src/config/write/index.js';
import { SCRATCH } from '../../../src/config/write/leftover-names.js';
import { swapSteps } from '../../../src/config/write/swap.js';
import { filesIn } from '../../support/files-in.js';
import { tempDirForFile } from '../../support/temp-dir.js';

// Another program's save made to land exactly between the steps of our
// swap, where on its own it lands once in many thousand writes.

const dir = tempDirForFile('qas-write-swap-');
afterEach(() => {
  delete swapSteps.before;
});

async function fileIn(name: string, text: string): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder);
  const file = join(folder, 'settings.json');
  await writeFile(file, text);
  return file;
}

/** Runs `act` the first time the swap reaches `step`. */
function once(step: 'aside' | 'link', act: () => void): void {
  let done = false;
  swapSteps.before = (s) => {
    if (s !== step || done) return;
    done = true;
    act();
  };
}

test('a save renamed over the file after our last look at it is kept, and our edit is made on top of it', async () => {
  const file = await fileIn('renamed-in', '// keep\n{ "a": 1 }\n');
  once('aside', () => {
    writeFileSync(`${file}.theirs`, '// keep\n{ "a": 1, "theirs": 1 }\n');
    renameSync(`${file}.theirs`, file);
  });
  await editJsoncFile(file, [{ path: ['ours'], value: 2 }]);
  const text = readFileSync(file, 'utf8');
  assert.deepEqual(parse(text), { a: 1, theirs: 1, ours: 2 });
  assert.ok(text.startsWith('// keep\n'));
});

test('a save made while the file is aside for the swap is kept, and our edit is made on top of it', async () => {
  const file = await fileIn('saved-in-gap', '{ "a": 1 }\n');
  once('link', () => writeFileSync(file, '{ "a": 1, "theirs": 1 }\n'));
  await editJsoncFile(file, [{ path: ['ours'], value: 2 }]);
  assert.deepEqual(parse(readFileSync(file, 'utf8')), { a: 1, theirs: 1, ours: 2 });
  assert.deepEqual(await filesIn(join(dir, 'saved-in-gap')), ['settings.json'], 'nothing left aside');
});

test('a writer that dies between the two steps: readers still see the file, and the next write puts it back first', async () => {
  const file = await fileIn('died-in-gap', '// keep\n{ "a": 1 }\n');
  once('link', () => {
    throw new Error('killed');
  });
  await assert.rejects(editJsoncFile(file, [{ path: ['ours'], value: 2 }]), /killed/);
  assert.equal(existsSync(file), false, 'the file is aside, as a writer killed there leaves it');
  const seen = readTextSync(file, 'settings');
  assert.equal(seen.kind === 'text' && seen.text, '// keep\n{ "a": 1 }\n', 'what a reader sees meanwhile');

  await editJsoncFile(file, [{ path: ['ours'], value: 3 }]);
  const text = readFileSync(file, 'utf8');
  assert.deepEqual(parse(text), { a: 1, ours: 3 });
  assert.ok(text.startsWith('// keep\n'), 'written on the file put back, not on nothing');
  assert.deepEqual(await filesIn(join(dir, 'died-in-gap')), ['settings.json']);
});

test('an aside file that is not from a swap just now (one a repository ships) is not read as the file', async () => {
  const folder = join(dir, 'planted');
  await mkdir(join(folder, SCRATCH), { recursive: true });
  const file = join(folder, 'settings.json');
  await writeFile(join(folder, SCRATCH, '.settings.json.aside'), '{ "model": { "name": "planted" } }');
  await sleep(1100);
  assert.deepEqual(readTextSync(file, 'settings'), { kind: 'missing' });
});

test('the sweep at start puts back a key file left aside, with its mode', async () => {
  const folder = join(dir, 'swept');
  await mkdir(folder);
  const file = join(folder, '.env');
  await writeFile(file, 'OTHER=1\n');
  await chmod(file, 0o600);
  once('link', () => {
    throw new Error('killed');
  });
  await assert.rejects(setDotenvVar(file, 'OPENAI_API_KEY', 'sk-new'), /killed/);
  assert.equal(existsSync(file), false);

  sweepDeadWriters([file]);
  assert.equal(readFileSync(file, 'utf8'), 'OTHER=1\n');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(await filesIn(folder), ['.env'], 'no copy of the key left aside');
});
