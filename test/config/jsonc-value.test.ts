import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findNodeAtLocation, type Node, parseTree, type ParseError } from 'jsonc-parser';
import { findPaths, JSONC_OPTIONS, type JsonPath, jsonValueOf, parseJsonc } from '../../src/config/jsonc-value.js';

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

/** What the syntax tree says of a path: the oracle for findPaths. */
function fromTree(text: string, p: JsonPath): { offset: number; length: number } | undefined {
  const tree = parseTree(text, [], JSONC_OPTIONS);
  let node: Node | undefined;
  for (let n = p.length; n >= 0 && !node; n--) node = tree ? findNodeAtLocation(tree, p.slice(0, n)) : undefined;
  if (!node) return undefined;
  const target = node.parent?.type === 'property' && node.parent.children?.[0] ? node.parent.children[0] : node;
  return { offset: target.offset, length: target.length };
}

describe('findPaths (diagnostic ranges without a syntax tree)', () => {
  const text = `// settings
{
  "modelProviders": {
    "openai": [
      { "id": "a", "envKey": "A_KEY" },
      { "id": 5, "envKey": "B_KEY", },
      [1, { "deep": true }],
    ],
    "mistral": [{ "id": "x" }],
  },
  "env": { "SOME_API_KEY": "sk-secret", "SOME_API_KEY": "again" },
  "list": ["x", "y"]
}`;
  const paths: JsonPath[] = [
    [],
    ['modelProviders'],
    ['modelProviders', 'openai', 0, 'envKey'],
    ['modelProviders', 'openai', 1, 'id'],
    ['modelProviders', 'openai', 1],
    ['modelProviders', 'openai', 2, 1, 'deep'],
    ['modelProviders', 'openai', 2, 0],
    ['modelProviders', 'openai', 9, 'envKey'],
    ['modelProviders', 'mistral'],
    ['env', 'SOME_API_KEY'],
    ['list', 1],
    ['nowhere', 'at', 'all'],
  ];
  it('points where the syntax tree points, for every kind of path', () => {
    assert.deepEqual(
      findPaths(text, paths),
      paths.map((p) => fromTree(text, p)),
    );
  });
});
