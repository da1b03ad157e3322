import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseJsonc } from 'jsonc-parser';
import { filesIn } from '../../support/files-in.js';
import { tempDirForFile } from '../../support/temp-dir.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const dir = tempDirForFile('qas-write-conc-');

function run(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(fixtures, script), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

test('8 processes x 50 settings edits on one file: every update kept, comments and other keys intact', { timeout: 60_000 }, async () => {
  const file = join(dir, 'settings.json');
  const original = `// header: written by hand, keep me
{
  "$version": 3,
  "unrelated": { "keep": [1, 2, 3], "note": "untouched" }, // trailing comment
  "model": { "name": "start" }
}
`;
  await writeFile(file, original);
  const procs = 8;
  const each = 50;
  await Promise.all(Array.from({ length: procs }, (_, i) => run('jsonc-worker.ts', [file, String(i), String(each)])));

  const text = await readFile(file, 'utf8');
  const errors: unknown[] = [];
  const value = parseJsonc(text, errors as never, { allowTrailingComma: true }) as Record<string, any>;
  assert.deepEqual(errors, []);
  assert.ok(text.startsWith('// header: written by hand, keep me\n'));
  assert.ok(text.includes('// trailing comment'));
  assert.deepEqual(value.unrelated, { keep: [1, 2, 3], note: 'untouched' });
  assert.equal(value.$version, 3);
  for (let i = 0; i < procs; i++) assert.equal(value.counters[`p${i}`], each, `counter p${i}`);
  assert.match(value.model.name, /^model-\d-49$/);
  assert.deepEqual((await filesIn(dir)), ['settings.json']);
});

test('4 processes x 25 .env variables on one file: none lost, other lines intact, 0600', { timeout: 60_000 }, async () => {
  const file = join(dir, '.env');
  await writeFile(file, '# my keys\nEXISTING=yes\n', { mode: 0o600 });
  const procs = 4;
  const each = 25;
  await Promise.all(Array.from({ length: procs }, (_, i) => run('dotenv-worker.ts', [file, String(i), String(each)])));

  const text = await readFile(file, 'utf8');
  assert.ok(text.startsWith('# my keys\nEXISTING=yes\n'));
  const vars = parseDotenv(text);
  assert.equal(Object.keys(vars).length, 1 + procs * each);
  for (let p = 0; p < procs; p++) {
    for (let i = 0; i < each; i++) assert.equal(vars[`W${p}_VAR_${i}`], `value-${p}-${i}`);
  }
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual((await filesIn(dir)), ['.env', 'settings.json']);
});
