import assert from 'node:assert/strict';
import { parse } from 'jsonc-parser';
import { it } from 'node:test';
import { migrateSettings, migrationEdits } from '../../src/config/migrate.js';
import { trailingCommas } from '../../src/config/trailing-commas.js';
import { applyJsoncEdits } from '../../src/config/write/index.js';

// Expected values worked out from Qwen Code 0.24.4's migrations (packages/cli/src/config/migration/, chunk-LYEINKJD.js).

it('v1 → v4: flat keys move into their sections, disable* flags become inverted enable* ones, other keys stay', () => {
  const m = migrateSettings({
    selectedAuthType: 'openai',
    model: 'm-old',
    theme: 'dark',
    ui: { hideBanner: true },
    disableAutoUpdate: true,
    disableUpdateNag: false,
    disableLoadingPhrases: 'yes',
    mcpServers: { a: { command: 'x' } },
    someFutureKey: [1],
  });
  assert.ok(m);
  assert.deepEqual(m.settings, {
    model: { name: 'm-old' },
    security: { auth: { selectedType: 'openai' } },
    ui: { theme: 'dark', hideBanner: true },
    general: { enableAutoUpdate: false },
    mcpServers: { a: { command: 'x' } },
    someFutureKey: [1],
    $version: 4,
  });
  assert.deepEqual(m.steps.map((s) => [s.from, s.to]), [[1, 2], [2, 3], [3, 4]]);
  assert.ok(m.steps[0]!.changes.includes('selectedAuthType → security.auth.selectedType'));
  assert.deepEqual(m.warnings, [], 'a non-boolean disableLoadingPhrases is dropped at v1 → v2, silently');
});

it('v1 keys already in v2 shape are left as they are; a v2 section holding a scalar is kept over what moves into it', () => {
  const mixed = migrateSettings({ model: { name: 'kept' }, selectedAuthType: 'anthropic' });
  assert.deepEqual(mixed?.settings, { model: { name: 'kept' }, security: { auth: { selectedType: 'anthropic' } }, $version: 4 });
  const clash = migrateSettings({ theme: 'dark', ui: 'not an object' });
  assert.deepEqual(clash?.settings, { ui: 'not an object', $version: 4 });
});

it('v2 → v3: string flags "true"/"false" count, others are removed with Qwen Code\'s warning', () => {
  const m = migrateSettings(
    { $version: 2, general: { disableAutoUpdate: 'TRUE' }, context: { fileFiltering: { disableFuzzySearch: 'maybe' } } },
    'workspace',
  );
  assert.deepEqual(m?.settings, { $version: 4, general: { enableAutoUpdate: false }, context: { fileFiltering: {} } });
  assert.deepEqual(m?.warnings, [
    `Removed deprecated setting 'context.fileFiltering.disableFuzzySearch' from workspace settings because the value is invalid. Expected boolean or string "true"/"false".`,
  ]);
});

it('v3 → v4: general.gitCoAuthor becomes {commit, pr}; a versionless file with a scalar one migrates too', () => {
  assert.deepEqual(migrateSettings({ $version: 3, general: { gitCoAuthor: 'off' } })?.settings, {
    $version: 4,
    general: { gitCoAuthor: { commit: false, pr: false } },
  });
  const odd = migrateSettings({ general: { gitCoAuthor: 'sometimes' } });
  assert.deepEqual(odd?.settings, { $version: 4, general: { gitCoAuthor: { commit: false, pr: false } } });
  assert.equal(odd?.warnings.length, 1);
  assert.ok(!odd?.warnings[0]!.includes('sometimes'), 'the stored value is not repeated');
});

it('v5 → v4: each {protocol, models} becomes its models list; a protocol the key contradicts is dropped with a warning', () => {
  const m = migrateSettings({
    $version: 5,
    modelProviders: { openai: { protocol: 'anthropic', models: [{ id: 'a' }] }, anthropic: [{ id: 'b' }], gemini: { protocol: 'gemini' } },
  });
  assert.deepEqual(m?.settings, { $version: 4, modelProviders: { openai: [{ id: 'a' }], anthropic: [{ id: 'b' }], gemini: [] } });
  assert.equal(m?.warnings.length, 1);
  assert.match(m!.warnings[0]!, /Provider "openai" declared protocol "anthropic"/);
  assert.deepEqual(migrateSettings({ modelProviders: { openai: { models: [] } } })?.settings, { modelProviders: { openai: [] }, $version: 4 }, 'versionless v5 too');
});

it('files Qwen Code leaves alone: $version 4, a later version, a versionless v4-shaped file', () => {
  assert.equal(migrateSettings({ $version: 4, model: 'stays a string' }), null);
  assert.equal(migrateSettings({ $version: 6, selectedAuthType: 'openai' }), null);
  assert.equal(migrateSettings({ model: { name: 'x' }, security: { auth: { selectedType: 'openai' } } }), null);
  assert.deepEqual(migrationEdits({ model: { name: 'x' } }).edits, []);
});

it('migrationEdits rewrite only what moves: comments and the other keys stay', () => {
  const text = `{
  // my model
  "model": "m-old",
  "ui": { "hideBanner": true }, // keep me
  "selectedAuthType": "openai"
}
`;
  const { edits } = migrationEdits(parse(text));
  const out = applyJsoncEdits(text, edits);
  assert.deepEqual(parse(out), { model: { name: 'm-old' }, ui: { hideBanner: true }, security: { auth: { selectedType: 'openai' } }, $version: 4 });
  assert.ok(out.includes('// my model') && out.includes('// keep me'), out);
});

it('trailingCommas finds each comma before a } or ], past comments, and none inside strings', () => {
  const text = '{ "a": [1, 2, ], // c\n "b": ",}", /* x */ }';
  assert.deepEqual(trailingCommas(text), [text.indexOf(', ]'), text.lastIndexOf(',')]);
  assert.deepEqual(trailingCommas('{ "a": [1, 2], "b": {} }'), []);
});
