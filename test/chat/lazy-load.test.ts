/**
 * Start-up unchanged: the chat code (src/chat, handlers/chat.ts) is its own
 * chunk of the bundle, loaded by the first chat/* request. Neither the entry
 * point nor the app that loads after `initialize` imports it statically.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { it } from 'node:test';
import { SERVER } from '../support/server.js';

function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*"(\.\/[^"]+\.js)"/g)) {
    staticClosure(resolve(dirname(file), m[1]!), seen);
  }
  return seen;
}

it('the chat code loads on the first chat request, not at start-up nor with the app', { skip: !existsSync(SERVER) && 'no bundle' }, () => {
  const dir = dirname(SERVER);
  const chunks = readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.js'));
  const holding = chunks.filter((f) => readFileSync(join(dir, 'chunks', f), 'utf8').includes('CancelledBeforeStart'));
  assert.equal(holding.length, 1, `the chat code is in one chunk: ${holding.join(', ')}`);
  const chatChunk = join(dir, 'chunks', holding[0]!);
  const app = /import\("(\.\/chunks\/app-[^"]+)"\)/.exec(readFileSync(SERVER, 'utf8'))?.[1];
  assert.ok(app, 'the entry point loads the app lazily');
  const early = staticClosure(join(dir, app), staticClosure(SERVER));
  assert.ok(!early.has(chatChunk), 'the chat chunk is a static import of start-up or of the app');
  const loader = [...early].find((f) => readFileSync(f, 'utf8').includes(`import("./${holding[0]}")`));
  assert.ok(loader, 'something loaded with the app imports the chat chunk on demand');
});
