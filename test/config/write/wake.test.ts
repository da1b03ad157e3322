import assert from 'node:assert/strict';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockPathFor } from '../../../src/config/write/leftover-names.js';
import { aheadOf, dropTicket, takeTicket } from '../../../src/config/write/queue.js';
import { waitForRelease } from '../../../src/config/write/wake.js';
import { resolveWriteTarget } from '../../../src/config/write/target.js';
import { tempDirForFile } from '../../support/temp-dir.js';

const dir = tempDirForFile('qas-write-wake-');

test('a waiter wakes when the ticket it waits for goes, not each time its owner touches it', async () => {
  const ticket = join(dir, 'ticket.wait');
  await writeFile(ticket, '');
  let woke = 0;
  const waiting = waitForRelease(ticket, 5000).then(() => (woke = Date.now()));
  for (let i = 0; i < 4; i++) {
    await sleep(50);
    const now = new Date();
    await utimes(ticket, now, now);
  }
  await sleep(100);
  assert.equal(woke, 0, 'woken by a touch');
  const removed = Date.now();
  await rm(ticket);
  await waiting;
  assert.ok(woke - removed < 500, `woke ${woke - removed} ms after the ticket went`);
});

test('each waiter for a lock waits for the one just ahead of it, so a turn wakes one waiter, not all', () => {
  const target = resolveWriteTarget(join(dir, 'queued.json'));
  const lock = lockPathFor(target);
  const t = [1000, 2000, 3000].map((since) => takeTicket(lock, Date.now() - 5000 + since));
  try {
    assert.ok(t.every((x) => x !== null));
    assert.equal(aheadOf(lock, t[0]!), null, 'the first goes next');
    assert.equal(aheadOf(lock, t[1]!), t[0]!.path);
    assert.equal(aheadOf(lock, t[2]!), t[1]!.path);
  } finally {
    for (const x of t) dropTicket(x);
  }
});
