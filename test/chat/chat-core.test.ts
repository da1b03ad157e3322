import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChatStore, chatsDir, fitHistory, foldContext } from '../../src/chat/index.js';

describe('context items', () => {
  it('a block a backtick run in the text cannot close, with the file relative to the project', () => {
    const out = foldContext('Explain.', [{ uri: 'file:///p/docs/a.md', languageId: 'markdown', text: 'x\n```\ny' }], '/p');
    assert.equal(out, 'File: docs/a.md (markdown):\n````markdown\nx\n```\ny\n````\n\nExplain.');
  });

  it('a file outside the project keeps its absolute path; text without a file is "Selected text"', () => {
    assert.match(foldContext('q', [{ uri: 'file:///elsewhere/b.py', text: 'pass' }], '/p'), /^File: \/elsewhere\/b\.py:/);
    assert.match(foldContext('q', [{ text: 'abc', range: { start: { line: 4, character: 0 }, end: { line: 4, character: 3 } } }], '/p'), /^Selected text line 5:/);
  });
});

describe('fitting the history', () => {
  const turn = (n: number, size: number) => [
    { role: 'user' as const, text: `${n}`.padEnd(size, 'u') },
    { role: 'assistant' as const, text: `${n}`.padEnd(size, 'a') },
  ];

  it('leaves out the oldest turns first and always keeps the new message', () => {
    const all = [...turn(1, 400), ...turn(2, 400), { role: 'user' as const, text: 'now' }];
    const fit = fitHistory(all, undefined, 250);
    assert.equal(fit.droppedTurns, 1);
    assert.deepEqual(fit.messages.map((m) => m.text[0]), ['2', '2', 'n']);
    const tiny = fitHistory(all, undefined, 1);
    assert.equal(tiny.droppedTurns, 2);
    assert.deepEqual(tiny.messages, [{ role: 'user', text: 'now' }]);
  });

  it('without a window everything is sent; empty answers are left out and neighbours joined', () => {
    const fit = fitHistory([{ role: 'user', text: 'a' }, { role: 'assistant', text: '' }, { role: 'user', text: 'b' }], undefined);
    assert.deepEqual(fit, { messages: [{ role: 'user', text: 'a\n\nb' }], droppedTurns: 0 });
  });
});

describe('the chat store', () => {
  it('XDG_STATE_HOME when absolute, else ~/.local/state', () => {
    assert.equal(chatsDir({ XDG_STATE_HOME: '/s', HOME: '/h' }), '/s/qwen-agent-server/chats');
    assert.equal(chatsDir({ XDG_STATE_HOME: 'rel', HOME: '/h' }), '/h/.local/state/qwen-agent-server/chats');
  });

  it('files are 0600, scrubbed before they are written; a file that is not a chat is skipped, not fatal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qas-chats-'));
    try {
      const store = new ChatStore(join(dir, 'chats'), (json) => json.replaceAll('sk-secret-0123456789', 'sk-…6789'));
      const model = { authType: 'openai' as const, id: 'm', baseUrl: 'https://h/v1?key=sk-secret-0123456789', source: { layer: 'settings' as const } };
      const chat = { version: 1 as const, chatId: 'abc', title: 't', model, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', messages: [] };
      await store.put(chat);
      const path = join(dir, 'chats', 'abc.json');
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.ok(!(await readFile(path, 'utf8')).includes('sk-secret-0123456789'));
      await mkdir(join(dir, 'chats'), { recursive: true });
      await writeFile(join(dir, 'chats', 'broken.json'), '{ not json');
      await writeFile(join(dir, 'chats', 'other.json'), JSON.stringify({ version: 1, chatId: 'someone-else' }));
      assert.deepEqual((await store.all()).map((c) => c.chatId), ['abc']);
      assert.equal(await store.get('../abc'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
