import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'dotenv';
import {
  readDotenvFile,
  removeDotenvVar,
  removeDotenvVarInText,
  setDotenvVar,
  setDotenvVarInText,
} from '../../../src/config/write/index.js';
import { ServerError } from '../../../src/protocol/index.js';
import { filesIn } from '../../support/files-in.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'qas-write-dotenv-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
const freshDir = () => mkdtemp(join(root, 't'));

const ENV = [
  '# API keys for this project',
  '',
  'export OPENAI_BASE_URL=https://api.example.test/v1',
  'OPENAI_API_KEY=sk-old # rotated in May',
  "  QUOTED='single # not a comment'",
  'MULTI="line one',
  'line two"',
  'EMPTY=',
  '',
  '# trailing comment',
  '',
].join('\r\n');

test('setting a variable replaces its line in place; every other byte stays', async () => {
  const dir = await freshDir();
  const file = join(dir, '.env');
  await writeFile(file, ENV, { mode: 0o600 });
  await setDotenvVar(file, 'OPENAI_API_KEY', 'sk-new');
  const text = await readFile(file, 'utf8');
  assert.equal(text, ENV.replace('OPENAI_API_KEY=sk-old # rotated in May', 'OPENAI_API_KEY=sk-new # rotated in May'));
  assert.deepEqual(parse(text), { ...parse(ENV), OPENAI_API_KEY: 'sk-new' });
});

test('`export NAME=` keeps its export; a multi-line value is replaced whole', () => {
  const a = setDotenvVarInText(ENV, 'OPENAI_BASE_URL', 'https://other.test/v1');
  assert.equal(a, ENV.replace('export OPENAI_BASE_URL=https://api.example.test/v1', 'export OPENAI_BASE_URL=https://other.test/v1'));
  const b = setDotenvVarInText(ENV, 'MULTI', 'one line');
  assert.equal(b, ENV.replace('MULTI="line one\r\nline two"', 'MULTI=one line'));
  assert.equal(parse(b).MULTI, 'one line');
  assert.equal(parse(b).EMPTY, '');
});

test('a repeated name: one line is left, holding the new value (dotenv would take the last copy)', () => {
  const text = 'A=1\nB=2\nexport A=3\n# end\n';
  assert.equal(parse(text).A, '3', 'what dotenv does');
  const out = setDotenvVarInText(text, 'A', '9');
  assert.equal(out, 'A=9\nB=2\n# end\n');
  assert.deepEqual(parse(out), { A: '9', B: '2' });
});

test('a new variable is appended, adding the missing final newline; CRLF files get CRLF', () => {
  assert.equal(setDotenvVarInText('A=1', 'B', '2'), 'A=1\nB=2\n');
  assert.equal(setDotenvVarInText('A=1\r\n', 'B', '2'), 'A=1\r\nB=2\r\n');
  assert.equal(setDotenvVarInText('', 'B', '2'), 'B=2\n');
});

test('tricky values read back exactly through dotenv.parse, without disturbing neighbours', async () => {
  const values = [
    'sk-sp-abc123',
    'abc#def',
    '#starts-with-hash',
    'a=b=c',
    'has inner spaces',
    ' leading space',
    'trailing space ',
    "it's",
    'say "hi"',
    '`ticks`',
    "'already single quoted'",
    '"already double quoted"',
    "mixed 'single' and \"double\"",
    'back\\slash',
    'literal \\n not a newline',
    'ends with backslash\\',
    '$HOME ${NOT_EXPANDED}',
    'line1\nline2',
    'cr\rhere',
    'quote " and\nnewline',
    '',
    'ключ ✓',
  ];
  const base = 'BEFORE=1\n# note\nK=old\nAFTER="x y"\n';
  for (const v of values) {
    const out = setDotenvVarInText(base, 'K', v);
    assert.deepEqual(parse(out), { BEFORE: '1', K: v, AFTER: 'x y' }, JSON.stringify(v));
    assert.ok(out.startsWith('BEFORE=1\n# note\n'), JSON.stringify(v));
    assert.equal(parse(setDotenvVarInText('', 'K', v)).K, v, `new file: ${JSON.stringify(v)}`);
  }
  const dir = await freshDir();
  const file = join(dir, '.env');
  for (const [i, v] of values.entries()) await setDotenvVar(file, `V${i}`, v);
  const read = await readDotenvFile(file);
  assert.deepEqual(read, Object.fromEntries(values.map((v, i) => [`V${i}`, v])));
});

test('a value no .env quoting can hold is refused, and the error does not show it', async () => {
  const dir = await freshDir();
  const file = join(dir, '.env');
  await writeFile(file, 'A=1\n', { mode: 0o600 });
  const secret = 'x\'y"z`#SECRET';
  await assert.rejects(setDotenvVar(file, 'K', secret), (err: unknown) => {
    assert.ok(err instanceof ServerError && err.code === 'ConfigInvalid');
    assert.ok(!err.message.includes('SECRET') && !JSON.stringify(err.data).includes('SECRET'));
    assert.ok(err.message.includes(file) && err.message.includes('K'));
    return true;
  });
  assert.equal(await readFile(file, 'utf8'), 'A=1\n');
  assert.deepEqual(await filesIn(dir), ['.env']);
});

test('names are checked', async () => {
  const dir = await freshDir();
  const file = join(dir, '.env');
  for (const bad of ['1ABC', 'MY-KEY', 'A B', '', 'A=B', 'A\nB']) {
    await assert.rejects(setDotenvVar(file, bad, 'v'), { code: 'ConfigInvalid' }, JSON.stringify(bad));
  }
  assert.deepEqual(await filesIn(dir), []);
});

test('a new .env is 0600; a readable one is narrowed to 0600 when a key goes in; 0600 stays', async () => {
  const dir = await freshDir();
  const fresh = join(dir, 'new', '.env');
  await setDotenvVar(fresh, 'KEY', 'v');
  assert.equal((await stat(fresh)).mode & 0o777, 0o600);

  for (const mode of [0o644, 0o640, 0o604]) {
    const file = join(dir, `.env-${mode.toString(8)}`);
    await writeFile(file, 'A=1\n');
    await chmod(file, mode);
    await setDotenvVar(file, 'KEY', 'secret');
    assert.equal((await stat(file)).mode & 0o777, 0o600, mode.toString(8));
  }
  const own = join(dir, '.env-own');
  await writeFile(own, 'A=1\n');
  await chmod(own, 0o600);
  await setDotenvVar(own, 'KEY', 'secret');
  assert.equal((await stat(own)).mode & 0o777, 0o600);
  assert.deepEqual((await filesIn(dir)), ['.env-604', '.env-640', '.env-644', '.env-own', 'new']);
});

test('removing a variable drops its lines (every copy) and keeps the rest and the mode', async () => {
  const dir = await freshDir();
  const file = join(dir, '.env');
  await writeFile(file, ENV);
  await chmod(file, 0o640);
  assert.equal(await removeDotenvVar(file, 'OPENAI_API_KEY'), true);
  assert.equal(await readFile(file, 'utf8'), ENV.replace('OPENAI_API_KEY=sk-old # rotated in May\r\n', ''));
  assert.equal((await stat(file)).mode & 0o777, 0o640);
  assert.equal(await removeDotenvVar(file, 'OPENAI_API_KEY'), false);
  assert.equal(removeDotenvVarInText('A=1\nB=2\nA=3', 'A'), 'B=2\n');
  assert.equal(removeDotenvVarInText('A=1\nB="x\ny"\nC=3\n', 'B'), 'A=1\nC=3\n');
});

test('a missing file: read is null, remove is false and creates nothing', async () => {
  const dir = await freshDir();
  const file = join(dir, '.env');
  assert.equal(await readDotenvFile(file), null);
  assert.equal(await removeDotenvVar(file, 'A'), false);
  assert.equal(await removeDotenvVar(join(dir, 'no-such-folder', '.env'), 'A'), false);
  assert.deepEqual(await filesIn(dir), []);
});
