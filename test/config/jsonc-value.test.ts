import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTree, type ParseError } from 'jsonc-parser';
import { JSONC_OPTIONS, jsonValueOf, parseJsonc, type StringLiteral } from '../../src/config/jsonc-value.js';

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

  it('tells each string its property (array elements: the array\'s) and its path', () => {
    const seen: Omit<StringLiteral, 'path'>[] = [];
    const paths: unknown[] = [];
    parseJsonc('{ "env": { "A_KEY": "v1" }, "keys": ["k1", ["k2"]], "m": [{ "envKey": "E" }] }', [], (s) => {
      seen.push({ value: s.value, offset: s.offset, length: s.length, key: s.key });
      paths.push(s.path());
    });
    assert.deepEqual(
      seen.map((s) => [s.value, s.key]),
      [['v1', 'A_KEY'], ['k1', 'keys'], ['k2', 'keys'], ['E', 'envKey']],
    );
    assert.deepEqual(paths, [['env', 'A_KEY'], ['keys', 0], ['keys', 1, 0], ['m', 0, 'envKey']]);
    assert.equal(seen[0]!.offset, 20);
    assert.equal(seen[0]!.length, 4);
  });
});
