import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { withFileLock } from '../../../src/config/write/index.js';
import { ServerError } from '../../../src/protocol/index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qas-write-lock-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('two callers in one process on the same file take turns', async () => {
  const file = join(dir, 'turns.json');
  const events: string[] = [];
  const job = (name: string) =>
    withFileLock(file, async () => {
      events.push(`${name} start`);
      await sleep(30);
      events.push(`${name} end`);
      return name;
    });
  assert.deepEqual(await Promise.all([job('a'), job('b'), job('c')]), ['a', 'b', 'c']);
  assert.deepEqual(events, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  assert.deepEqual(await readdir(dir), [], 'no lock folder left behind');
});

test('a nested lock on the same file in the same call chain does not deadlock', async () => {
  const file = join(dir, 'nested.json');
  const out = await withFileLock(file, () => withFileLock(file, async () => 'inner'));
  assert.equal(out, 'inner');
});

test('works for a file (and folder) that does not exist yet, and frees the lock when fn throws', async () => {
  const file = join(dir, 'new', 'deeper', 'settings.json');
  await assert.rejects(
    withFileLock(file, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(await readdir(join(dir, 'new', 'deeper')), []);
  assert.equal(await withFileLock(file, async () => 42), 42);
});

test('a lock held by another process gives a clear WriteConflict after the wait', async () => {
  const file = join(dir, 'held.json');
  await mkdir(`${file}.lock`); // what a live holder looks like: a fresh lock folder
  const started = Date.now();
  await assert.rejects(
    withFileLock(file, async () => 'never', { waitMs: 300 }),
    (err: unknown) =>
      err instanceof ServerError &&
      err.code === 'WriteConflict' &&
      err.message.includes(file) &&
      (err.data.hint ?? '').includes(`${file}.lock`),
  );
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3000, `waited ${took} ms`);
  assert.ok((await stat(`${file}.lock`)).isDirectory(), "someone else's lock is not removed");
  await rm(`${file}.lock`, { recursive: true });
});

test('a stale lock left by a dead process is taken over', async () => {
  const file = join(dir, 'stale.json');
  await mkdir(`${file}.lock`);
  const old = new Date(Date.now() - 60_000);
  await utimes(`${file}.lock`, old, old);
  const started = Date.now();
  assert.equal(await withFileLock(file, async () => 'got it', { waitMs: 2000 }), 'got it');
  assert.ok(Date.now() - started < 1000);
  await assert.rejects(stat(`${file}.lock`), { code: 'ENOENT' });
});
