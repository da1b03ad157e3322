import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parse } from 'jsonc-parser';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { startServer, type TestServer } from '../support/server.js';

const FILE = `// settings shared by many editors at once
{
  "ui": { "theme": "dark" }, // keep
  "unknownFutureKey": { "nested": [1, 2, 3] },
  "modelProviders": {
    "openai": [
      { "id": "m0" }, { "id": "m1" }, { "id": "m2" }, { "id": "m3" }
    ]
  }
}
`;

let sb: Sandbox;
let servers: TestServer[] = [];
before(async () => {
  sb = await makeSandbox();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sb.cleanup();
});

describe('concurrent writers', () => {
  it('8 server processes × 50 model/select on one settings.json: valid, comments kept, no key lost', { timeout: 120_000 }, async () => {
    const path = await sb.write('home/.qwen/settings.json', FILE);
    servers = await Promise.all(Array.from({ length: 8 }, () => startServer(sb)));
    const last: string[] = [];
    await Promise.all(
      servers.map(async (srv, p) => {
        for (let i = 0; i < 50; i++) {
          const id = `m${(p + i) % 4}`;
          const r = await srv.request('model/select', { authType: 'openai', id, scope: 'user' });
          assert.equal(r.persistedTo, path);
          last[p] = id;
        }
      }),
    );
    const text = await readFile(path, 'utf8');
    const errors: unknown[] = [];
    const s = parse(text, errors as never, { allowTrailingComma: false });
    assert.deepEqual(errors, [], 'the file still parses as strict JSON with comments');
    assert.ok(text.startsWith('// settings shared by many editors at once'));
    assert.ok(text.includes('// keep'));
    assert.deepEqual(s.unknownFutureKey, { nested: [1, 2, 3] });
    assert.equal(s.ui.theme, 'dark');
    assert.equal(s.modelProviders.openai.length, 4);
    assert.equal(s.security.auth.selectedType, 'openai');
    assert.ok(last.includes(s.model.name), 'the file holds one of the final choices');
    assert.equal((text.match(/"model"/g) ?? []).length, 1, 'no duplicated keys');
  });
});
