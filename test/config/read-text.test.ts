import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { READ_LIMITS, readText } from '../../src/config/read-text.js';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';

describe('readText (every file the server reads that it does not control)', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await makeSandbox();
  });
  after(() => sb.cleanup());

  it('reads a regular file, and one reached through a symbolic link (dotfile managers)', async () => {
    const file = await sb.write('real/settings.json', '{ "a": 1 }');
    const link = sb.path('link.json');
    await symlink(file, link);
    for (const p of [file, link]) {
      const r = await readText(p, 'settings');
      assert.equal(r.kind, 'text');
      assert.equal(r.kind === 'text' && r.text, '{ "a": 1 }');
    }
  });

  it('a missing file, or one under a file, is missing', async () => {
    const file = await sb.write('plain', 'x');
    assert.deepEqual(await readText(sb.path('nowhere.json'), 'settings'), { kind: 'missing' });
    assert.deepEqual(await readText(`${file}/below`, 'settings'), { kind: 'missing' });
  });

  it('a named pipe is refused at once, without waiting for a writer', async () => {
    const fifo = sb.path('pipe.env');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    const r = await readText(fifo, 'dotenv');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(r.kind, 'refused');
    assert.match(r.kind === 'refused' ? r.message : '', /pipe\.env is \(or links to\) a named pipe \(FIFO\): the server reads only regular files/);
  });

  it('a link to /dev/zero is refused without reading from it; a directory is refused and says so', async () => {
    const link = sb.path('zero.json');
    await symlink('/dev/zero', link);
    const zero = await readText(link, 'settings');
    assert.equal(zero.kind, 'refused');
    assert.match(zero.kind === 'refused' ? zero.message : '', /a character device/);
    await mkdir(sb.path('dir.env'));
    const dir = await readText(sb.path('dir.env'), 'dotenv');
    assert.equal(dir.kind === 'refused' && dir.directory, true);
  });

  it('a file over its kind’s limit is refused with both sizes; one at the limit is read', async () => {
    const limit = READ_LIMITS.oauthCredentials.bytes;
    const path = sb.path('creds.json');
    await writeFile(path, '');
    await truncate(path, limit);
    const at = await readText(path, 'oauthCredentials');
    assert.equal(at.kind === 'text' && at.text.length, limit);
    await truncate(path, limit + 1);
    const over = await readText(path, 'oauthCredentials');
    assert.equal(over.kind, 'refused');
    assert.match(over.kind === 'refused' ? over.message : '', /is 257 KiB, more than the 256 KiB the server reads of the Qwen OAuth credential file/);
  });
});
