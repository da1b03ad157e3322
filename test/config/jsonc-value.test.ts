import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTree, type ParseError } from 'jsonc-parser';
import { JSONC_OPTIONS, jsonValueOf, parseJsonc } from '../../src/config/jsonc-value.js';

const TEXTS = [
  '{}',
  '',
  '// only a comment\n{ "a": 1, }',
  '{ "a": { "b": [1, "two", { "c": null }], }, "a": "last wins" }',
  '{ "__proto__": { "polluted": true }, "constructor": 1, "ok": [[], [[]], {}] }',
  '{ "x": [true, false, -1.5e3, "s"] /* trailing */ }',
  '{ "broken": [1, 2 }',
  '[1, 2]',
];

describe('parseJsonc (settings files without a syntax tree)', () => {
  for (const text of TEXTS) {
    it(`reads ${JSON.stringify(text)} as the syntax tree would`, () => {
      const treeErrors: ParseError[] = [];
      const tree = parseTree(text, treeErrors, JSONC_OPTIONS);
      const errors: ParseError[] = [];
      const value = parseJsonc(text, errors);
      assert.deepEqual(value, tree ? jsonValueOf(tree) : undefined);
      assert.deepEqual(errors, treeErrors);
      assert.equal(Object.getPrototypeOf(value ?? {}), Array.isArray(value) ? Array.prototype : Object.prototype);
    });
  }

});
