import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { withFileLock } from '../../../src/config/write/index.js';
import { lockPathFor } from '../../../src/config/write/leftover-names.js';
import { ServerError } from '../../../src/protocol/index.js';
import { filesIn } from '../../support/files-in.js';
import { lockHeldBy } from '../../support/lock-held.js';
import { deadPid } from '../../support/dead-pid.js';
import { tempDirForFile } from '../../support/temp-dir.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const dir = tempDirForFile('qas-write-lock-');

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
  assert.deepEqual(await filesIn(dir), [], 'no lock folder left behind');
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
  assert.deepEqual(await filesIn(join(dir, 'new', 'deeper')), []);
  assert.equal(await withFileLock(file, async () => 42), 42);
});

test('a lock held by another process gives a clear WriteConflict after the wait', async () => {
  const file = join(dir, 'held.json');
  await mkdir(lockPathFor(file)); // what a live holder looks like: a fresh lock folder
  const started = Date.now();
  await assert.rejects(
    withFileLock(file, async () => 'never', { waitMs: 300 }),
    (err: unknown) =>
      err instanceof ServerError &&
      err.code === 'WriteConflict' &&
      err.message.includes(file) &&
      (err.data.hint ?? '').includes(lockPathFor(file)),
  );
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3000, `waited ${took} ms`);
  assert.ok((await stat(lockPathFor(file))).isDirectory(), "someone else's lock is not removed");
  await rm(lockPathFor(file), { recursive: true });
});

test('a stale lock left by a dead process is taken over', async () => {
  const file = join(dir, 'stale.json');
  await mkdir(lockPathFor(file));
  const old = new Date(Date.now() - 60_000);
  await utimes(lockPathFor(file), old, old);
  const started = Date.now();
  assert.equal(await withFileLock(file, async () => 'got it', { waitMs: 2000 }), 'got it');
  assert.ok(Date.now() - started < 1000);
  await assert.rejects(stat(lockPathFor(file)), { code: 'ENOENT' });
});

/** The lock of `file` is free at once, and left behind by no one. */
async function assertTakenAtOnce(file: string): Promise<void> {
  const started = Date.now();
  assert.equal(await withFileLock(file, async () => 'got it', { waitMs: 5000 }), 'got it');
  assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
  await assert.rejects(stat(lockPathFor(file)), { code: 'ENOENT' });
}

test('a lock whose holder died is taken over at once, however fresh; one whose holder lives, or is on another machine, is not', async () => {
  const file = join(dir, 'dead-holder.json');
  await lockHeldBy(file, { pid: deadPid() });
  await assertTakenAtOnce(file);

  for (const holder of [{ pid: process.pid }, { pid: deadPid(), host: 'another-machine' }]) {
    const lock = await lockHeldBy(file, holder);
    await assert.rejects(withFileLock(file, async () => 'never', { waitMs: 700 }), (err: unknown) => err instanceof ServerError && err.code === 'WriteConflict');
    assert.ok((await stat(lock)).isDirectory(), 'left in place');
    await rm(lock, { recursive: true });
  }
});

test('a lock whose pid now belongs to another process (started later) is taken over at once', async () => {
  const file = join(dir, 'reused-pid.json');
  // This process is alive, but it is not the one that started at tick 1.
  await lockHeldBy(file, { pid: process.pid, start: '1' });
  await assertTakenAtOnce(file);
});

test('a lock folder with no holder in it, or an empty or half-written one (a writer killed as it took the lock), is taken over after half a second, not ten', async () => {
  for (const [name, record] of [['no-holder', null], ['empty-holder', ''], ['half-holder', '{"holder":"qwen-agent-server","pi']] as const) {
    const file = join(dir, `${name}.json`);
    await mkdir(lockPathFor(file));
    if (record !== null) await writeFile(join(lockPathFor(file), 'holder'), record);
    const old = new Date(Date.now() - 1000);
    await utimes(lockPathFor(file), old, old);
    await assertTakenAtOnce(file);
  }
});

test('a waiting process gets the lock the moment another process lets it go', { timeout: 60_000 }, async () => {
  const file = join(dir, 'handoff.json');
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const holder = spawn(process.execPath, ['--import', 'tsx', join(fixtures, 'lock-holder.ts'), file, '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => holder.once('exit', r));
    let out = '';
    holder.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('held')) await sleep(5);
    await withFileLock(file, async () => {
      gaps.push(Date.now());
    });
    await exited;
    const released = Number(/released (\d+)/.exec(out)?.[1]);
    gaps[i] = gaps[i]! - released;
  }
  gaps.sort((a, b) => a - b);
  assert.ok(gaps[2]! < 25, `got the lock ${gaps.join(', ')} ms after it was let go`);
});

test('processes waiting for a lock get it in the order they came, not whichever wakes first', { timeout: 60_000 }, async () => {
  const file = join(dir, 'queue.json');
  const WAITERS = 5;
  const order: number[] = [];
  const children: Promise<unknown>[] = [];
  await withFileLock(file, async () => {
    for (let i = 0; i < WAITERS; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(fixtures, 'lock-holder.ts'), file, '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('held')) order.push(i);
      });
      children.push(new Promise((r) => child.once('exit', r)));
      // Long enough for it to start and be waiting before the next one comes.
      await sleep(700);
    }
  });
  await Promise.all(children);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.deepEqual(await filesIn(dir).then((names) => names.filter((n) => n.includes('queue.json'))), [], 'no ticket left behind');
});
