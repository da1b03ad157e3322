import assert from 'node:assert/strict';
import { chmod, lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'jsonc-parser';
import { applyJsoncEdits, editJsoncFile } from '../../../src/config/write/index.js';
import { ServerError } from '../../../src/protocol/index.js';
import { filesIn } from '../../support/files-in.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'qas-write-jsonc-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function freshDir(): Promise<string> {
  return mkdtemp(join(root, 't'));
}

function value(text: string): any {
  const errors: unknown[] = [];
  const v = parse(text, errors as never, { allowTrailingComma: true });
  assert.deepEqual(errors, [], 'the result parses');
  return v;
}

const SETTINGS = `// User settings: edited by hand too
{
  "$version": 3,
  /* the model I use */
  "model": {
    "name": "qwen3-coder-plus", // my favourite
  },
  "somethingNew": { "futureKey": [1, 2, 3] },
  "ui": {
    "theme": "dark",
  },
}
`;

test('comments, trailing commas, unknown keys and key order survive an edit', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  await writeFile(file, SETTINGS);
  const r = await editJsoncFile(file, [{ path: ['model', 'name'], value: 'qwen3.5-plus' }]);
  assert.equal(r.changed, true);
  const text = await readFile(file, 'utf8');
  assert.equal(text, r.text);
  // Exactly one thing changed: the value.
  assert.equal(text, SETTINGS.replace('"qwen3-coder-plus"', '"qwen3.5-plus"'));
});

test('a missing nested key is created next to its siblings; the neighbour keeps its comment', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  await writeFile(file, SETTINGS);
  await editJsoncFile(file, [
    { path: ['security', 'auth', 'selectedType'], value: 'openai' },
    { path: ['model', 'baseUrl'], value: 'https://example.test/v1' },
  ]);
  const text = await readFile(file, 'utf8');
  const v = value(text);
  assert.equal(v.security.auth.selectedType, 'openai');
  assert.equal(v.model.baseUrl, 'https://example.test/v1');
  assert.deepEqual(v.somethingNew, { futureKey: [1, 2, 3] });
  assert.ok(text.includes('"name": "qwen3-coder-plus", // my favourite\n'), 'comment stays on its own line');
  assert.ok(text.startsWith('// User settings: edited by hand too\n'));
  assert.ok(text.includes('/* the model I use */'));
  assert.deepEqual(Object.keys(v), ['$version', 'model', 'somethingNew', 'ui', 'security'], 'order kept, new key last');
});

test('adding after a last key without a comma keeps that key its comment and adds no trailing comma', () => {
  const text = '{\n  "a": 1, // one\n  "b": 2 // two\n}\n';
  const out = applyJsoncEdits(text, [{ path: ['c'], value: 3 }]);
  assert.equal(out, '{\n  "a": 1, // one\n  "b": 2, // two\n  "c": 3\n}\n');
  assert.doesNotThrow(() => JSON.parse(out.replace(/\/\/.*$/gm, '')), 'plain JSON.parse (what Qwen Code uses) still reads it');
});

test('removing a key takes its line and comment, keeps the others, and leaves no trailing comma', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  const text = '{\n  "a": 1, // about a\n  "b": 2, // about b\n  "c": 3 // about c\n}\n';
  await writeFile(file, text);
  await editJsoncFile(file, [{ path: ['c'], value: undefined }]);
  assert.equal(await readFile(file, 'utf8'), '{\n  "a": 1, // about a\n  "b": 2 // about b\n}\n');
  await editJsoncFile(file, [{ path: ['a'], value: undefined }]);
  assert.equal(await readFile(file, 'utf8'), '{\n  "b": 2 // about b\n}\n');
  const r = await editJsoncFile(file, [{ path: ['nope', 'deeper'], value: undefined }]);
  assert.equal(r.changed, false);
});

test('removing the only key when the file uses trailing commas leaves valid JSON', () => {
  assert.deepEqual(value(applyJsoncEdits('{ "a": 1, }', [{ path: ['a'], value: undefined }])), {});
  assert.deepEqual(value(applyJsoncEdits('{\n  "a": 1, // x\n}', [{ path: ['a'], value: undefined }])), {});
});

test('replacing an object keeps the comments of the entries that stay', () => {
  const text = '{\n  "env": {\n    "A": "1", // first\n    "B": "2" // second\n  }\n}\n';
  const out = applyJsoncEdits(text, [{ path: ['env'], value: { A: '1', B: '3', C: '4' } }]);
  assert.equal(out, '{\n  "env": {\n    "A": "1", // first\n    "B": "3", // second\n    "C": "4"\n  }\n}\n');
});

test('tabs, CRLF line endings and a byte order mark are kept', () => {
  const text = '\uFEFF{\r\n\t"a": {\r\n\t\t"x": 1\r\n\t}\r\n}\r\n';
  const out = applyJsoncEdits(text, [{ path: ['a', 'y'], value: [1] }]);
  assert.equal(out, '\uFEFF{\r\n\t"a": {\r\n\t\t"x": 1,\r\n\t\t"y": [\r\n\t\t\t1\r\n\t\t]\r\n\t}\r\n}\r\n');
});

test('a repeated key: the edit lands on the copy that counts (the last), removal takes every copy', () => {
  assert.equal(value(applyJsoncEdits('{"a": 1, "a": 2}', [{ path: ['a'], value: 3 }])).a, 3);
  assert.deepEqual(value(applyJsoncEdits('{"a": 1, "b": 0, "a": 2}', [{ path: ['a'], value: undefined }])), { b: 0 });
});

test('a missing file (and folder) is created; setting the same value again writes nothing', async () => {
  const dir = await freshDir();
  const file = join(dir, 'new', '.qwen', 'settings.json');
  const r = await editJsoncFile(file, [{ path: ['model', 'name'], value: 'x' }]);
  assert.equal(r.changed, true);
  assert.equal(await readFile(file, 'utf8'), '{\n  "model": {\n    "name": "x"\n  }\n}\n');
  const before = await stat(file);
  const again = await editJsoncFile(file, (cur) => {
    assert.deepEqual(cur, { model: { name: 'x' } });
    return [{ path: ['model', 'name'], value: 'x' }];
  });
  assert.equal(again.changed, false);
  assert.equal((await stat(file)).ino, before.ino, 'not rewritten');
});

test('a file with a syntax error is refused with ConfigInvalid and left byte for byte', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  const broken = Buffer.from('{\n  "model": { "name": "x" }\n  "apiKey": "sk-secret-value"\n}\n');
  await writeFile(file, broken, { mode: 0o640 });
  await chmod(file, 0o640);
  await assert.rejects(
    editJsoncFile(file, [{ path: ['model', 'name'], value: 'y' }]),
    (err: unknown) => {
      assert.ok(err instanceof ServerError);
      assert.equal(err.code, 'ConfigInvalid');
      assert.equal(err.data.path, file);
      assert.equal(err.message, `${file} has a JSON error at line 3, column 3: a ',' was expected; fix it by hand, then try again`);
      assert.ok(!err.message.includes('sk-secret'));
      return true;
    },
  );
  assert.ok((await readFile(file)).equals(broken));
  assert.equal((await stat(file)).mode & 0o777, 0o640);
  assert.deepEqual(await filesIn(dir), ['settings.json'], 'no temp file or lock left');
});

test('a file that is not UTF-8 text is refused and left byte for byte', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]); // {"a":"\xff\xfe"}
  await writeFile(file, bytes);
  await assert.rejects(editJsoncFile(file, [{ path: ['b'], value: 1 }]), { code: 'ConfigInvalid' });
  assert.ok((await readFile(file)).equals(bytes));
});

test('a top level that is not an object, or a value in the way, is ConfigInvalid and nothing is written', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  await writeFile(file, '[1, 2]\n');
  await assert.rejects(editJsoncFile(file, [{ path: ['a'], value: 1 }]), { code: 'ConfigInvalid' });
  await writeFile(file, '{ "model": "old-style" }\n');
  await assert.rejects(editJsoncFile(file, [{ path: ['model', 'name'], value: 'x' }]), {
    code: 'ConfigInvalid',
    message: `${file}: model is a string, so model.name can't be set; fix it by hand, then try again`,
  });
  assert.equal(await readFile(file, 'utf8'), '{ "model": "old-style" }\n');
  assert.deepEqual(await filesIn(dir), ['settings.json']);
});

test('an existing file keeps its mode (0640 stays 0640); a new one is 0644, or 0600 for a secret', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  await writeFile(file, '{}\n');
  await chmod(file, 0o640);
  await editJsoncFile(file, [{ path: ['a'], value: 1 }]);
  assert.equal((await stat(file)).mode & 0o777, 0o640);

  await editJsoncFile(join(dir, 'plain.json'), [{ path: ['a'], value: 1 }]);
  assert.equal((await stat(join(dir, 'plain.json'))).mode & 0o777, 0o644);
  await editJsoncFile(join(dir, 'creds.json'), [{ path: ['access_token'], value: 't' }], { secret: true });
  assert.equal((await stat(join(dir, 'creds.json'))).mode & 0o777, 0o600);
  const loose = join(dir, 'loose.json');
  await writeFile(loose, '{}\n');
  await chmod(loose, 0o644);
  await editJsoncFile(loose, [{ path: ['refresh_token'], value: 'r' }], { secret: true });
  assert.equal((await stat(loose)).mode & 0o777, 0o600, 'a secret narrows a readable file');
});

test('editing through a symlink writes the target and keeps the link', async () => {
  const dir = await freshDir();
  const real = join(dir, 'dotfiles-settings.json');
  const link = join(dir, 'settings.json');
  await writeFile(real, '{\n  "a": 1\n}\n');
  await symlink(real, link);
  await editJsoncFile(link, [{ path: ['b'], value: 2 }]);
  assert.ok((await lstat(link)).isSymbolicLink());
  assert.deepEqual(value(await readFile(real, 'utf8')), { a: 1, b: 2 });
});

test('an outside writer (an editor, no lock) changing the file mid-edit: the edit is redone and its change is kept', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  await writeFile(file, '{\n  "a": 1\n}\n');
  let calls = 0;
  const r = await editJsoncFile(file, async (current) => {
    calls++;
    if (calls === 1) {
      // The person saves in their editor after we read, before we write.
      await writeFile(file, '{\n  "a": 1,\n  "fromEditor": true // typed by hand\n}\n');
    } else {
      assert.deepEqual(current, { a: 1, fromEditor: true }, 'the redo sees the outside change');
    }
    return [{ path: ['model', 'name'], value: 'm' }];
  });
  assert.equal(calls, 2);
  assert.equal(r.changed, true);
  const text = await readFile(file, 'utf8');
  assert.ok(text.includes('"fromEditor": true, // typed by hand'));
  assert.deepEqual(value(text), { a: 1, fromEditor: true, model: { name: 'm' } });
});

test('an outside writer that keeps changing the file: started over each time, then WriteConflict, and the outside content is what stays', async () => {
  const dir = await freshDir();
  const file = join(dir, 'settings.json');
  await writeFile(file, '{}\n');
  let calls = 0;
  await assert.rejects(
    editJsoncFile(file, async () => {
      calls++;
      await writeFile(file, `{ "editorSave": ${calls} }\n`);
      return [{ path: ['ours'], value: true }];
    }),
    (err: unknown) => err instanceof ServerError && err.code === 'WriteConflict' && err.data.path === file,
  );
  assert.ok(calls > 2, `${calls} attempts`);
  assert.equal(await readFile(file, 'utf8'), `{ "editorSave": ${calls} }\n`);
  assert.deepEqual(await filesIn(dir), ['settings.json']);
});

test('bad edits are refused before anything is written', () => {
  assert.throws(() => applyJsoncEdits('{}', [{ path: [], value: 1 }]), TypeError);
  assert.throws(() => applyJsoncEdits('{}', [{ path: ['__proto__', 'x'], value: 1 }]), TypeError);
  assert.throws(() => applyJsoncEdits('{}', [{ path: ['f'], value: () => 1 }]), TypeError);
  assert.throws(() => applyJsoncEdits('{"l": [1]}', [{ path: ['l', 5], value: 1 }]), TypeError);
});

test('lists: replace an item, append with -1, remove an item', () => {
  const text = '{\n  "l": [\n    "a", // first\n    "b"\n  ]\n}\n';
  assert.equal(applyJsoncEdits(text, [{ path: ['l', 1], value: 'B' }]), text.replace('"b"', '"B"'));
  assert.equal(applyJsoncEdits(text, [{ path: ['l', -1], value: 'c' }]), '{\n  "l": [\n    "a", // first\n    "b",\n    "c"\n  ]\n}\n');
  assert.equal(applyJsoncEdits(text, [{ path: ['l', 1], value: undefined }]), '{\n  "l": [\n    "a" // first\n  ]\n}\n');
});

// Issue 12: a preset login rewrites modelProviders.<protocol> with its entries first and every other entry after them.
const PROVIDERS = `{
  "modelProviders": {
    "openai": [
      // my own endpoint: keep this comment
      { "id": "mine", "baseUrl": "https://mine.example/v1" }, // and this one
      /* the preset's */
      { "id": "p1", "baseUrl": "https://preset.example/v1", "name": "old", "myNote": "kept" }
    ]
  }
}
`;

test('a list that gains entries in front keeps the comments of the entries that stay, each with its entry', () => {
  // As a preset login writes it: its entries first (one of them the owned one, rewritten), then the person's own.
  const next = [
    { id: 'p0', baseUrl: 'https://preset.example/v1' },
    { id: 'p1', baseUrl: 'https://preset.example/v1', name: 'new', myNote: 'kept' },
    { id: 'mine', baseUrl: 'https://mine.example/v1' },
  ];
  const out = applyJsoncEdits(PROVIDERS, [{ path: ['modelProviders', 'openai'], value: next }]);
  assert.deepEqual(value(out).modelProviders.openai, next);
  for (const c of ['// my own endpoint: keep this comment', '// and this one']) assert.ok(out.includes(c), `${c} is kept:\n${out}`);
  assert.ok(out.indexOf('"p1"') < out.indexOf('// my own endpoint'), `the new entries go above the comment of the entry after them:\n${out}`);
  assert.ok(out.indexOf('// my own endpoint') < out.indexOf('"mine"'));

  // Entries put in front of ones that keep their order keep every comment, the rewritten entry's too.
  const inFront = [next[0]!, next[2]!, next[1]!];
  const kept = applyJsoncEdits(PROVIDERS, [{ path: ['modelProviders', 'openai'], value: inFront }]);
  assert.deepEqual(value(kept).modelProviders.openai, inFront);
  for (const c of ['// my own endpoint: keep this comment', '// and this one', "/* the preset's */"]) assert.ok(kept.includes(c), `${c} is kept:\n${kept}`);
});

test('a list whose entries are replaced (another region) keeps the entries that stay and their comments', () => {
  const next = [
    { id: 'mine', baseUrl: 'https://mine.example/v1' },
    { id: 'p1', baseUrl: 'https://global.preset.example/v1', name: 'new' },
    { id: 'p2', baseUrl: 'https://global.preset.example/v1' },
  ];
  const out = applyJsoncEdits(PROVIDERS, [{ path: ['modelProviders', 'openai'], value: next }]);
  assert.deepEqual(value(out).modelProviders.openai, next);
  assert.ok(out.includes('// my own endpoint: keep this comment') && out.includes('// and this one'), out);
  assert.ok(!out.includes('"myNote"'));
});

test('a list that loses entries keeps the comments of the rest', () => {
  const out = applyJsoncEdits(PROVIDERS, [{ path: ['modelProviders', 'openai'], value: [{ id: 'mine', baseUrl: 'https://mine.example/v1' }] }]);
  assert.deepEqual(value(out).modelProviders.openai, [{ id: 'mine', baseUrl: 'https://mine.example/v1' }]);
  assert.ok(out.includes('// my own endpoint: keep this comment') && out.includes('// and this one'), out);
});
