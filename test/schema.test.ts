import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Requests } from '../src/protocol/index.js';

const read = (p: string) => JSON.parse(readFileSync(new URL(`../${p}`, import.meta.url), 'utf8'));

describe('checked-in JSON Schemas', () => {
  it('are up to date with the zod schemas (npm run schema)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/write-schema.ts', '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('the protocol schema has params and result for every method', () => {
    const defs = read('schema/protocol.schema.json').$defs;
    for (const method of Object.keys(Requests)) {
      const name = method.replace(/\//g, '_');
      assert.ok(defs[`${name}.params`], `${method} params`);
      assert.ok(defs[`${name}.result`], `${method} result`);
    }
  });

  it('the settings schema describes modelProviders entries and lets other keys through', () => {
    const s = read('schema/settings.schema.json');
    const model = s.properties.modelProviders.additionalProperties.items;
    assert.deepEqual(model.required, ['id']);
    assert.ok(model.properties.envKey.description.includes('never the key'));
    assert.notEqual(s.additionalProperties, false, 'the file is shared with Qwen Code');
  });
});
