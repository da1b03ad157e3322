import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findNodeAtLocation, type Node, parseTree, type ParseError, visit } from 'jsonc-parser';
import { findPaths, JSONC_OPTIONS, type JsonPath, jsonValueOf, MAX_NESTING, nestingOverflow, parseJsonc } from '../../src/config/jsonc-value.js';

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

/** How deep jsonc-parser itself goes on a text: the oracle for nestingOverflow. */
function parserDepth(text: string): number {
  let depth = 0;
  let max = 0;
  const begin = () => void (max = Math.max(max, ++depth));
  const end = () => void depth--;
  visit(text, { onObjectBegin: begin, onArrayBegin: begin, onObjectEnd: end, onArrayEnd: end }, JSONC_OPTIONS);
  return max;
}

describe('nestingOverflow (the bound checked before any parser recurses)', () => {
  // Each builds a text that the parser nests n levels deep, disguised in a way a naive bracket count gets wrong.
  const SHAPES: Record<string, (n: number) => string> = {
    arrays: (n) => '['.repeat(n) + ']'.repeat(n),
    objects: (n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n),
    'closers inside strings': (n) => '["]}",'.repeat(n) + ']'.repeat(n),
    'brackets inside comments': (n) => '[ // ]]]]\n'.repeat(n) + ']'.repeat(n),
    'block comments': (n) => '[/* ] */'.repeat(n) + ']'.repeat(n),
    'mismatched closers the parser skips': (n) => '[},'.repeat(n),
    'a string ended by a line break': (n) => '["x\n'.repeat(n),
    'a backslash before a line break': (n) => '["\\\n[",'.repeat(n),
  };
  for (const [name, make] of Object.entries(SHAPES)) {
    it(`${name}: accepted at the limit, refused one level past it, never less deep than the parser`, () => {
      const deeper = make(MAX_NESTING + 40);
      assert.ok(parserDepth(deeper) > MAX_NESTING, 'the shape really nests');
      assert.notEqual(nestingOverflow(deeper), -1);
      for (let n = 1; n <= MAX_NESTING + 40; n += 13) {
        const text = make(n);
        if (nestingOverflow(text) === -1) assert.ok(parserDepth(text) <= MAX_NESTING, `${n}: the parser goes deeper than the scan saw`);
      }
      if (name === 'arrays' || name === 'objects') {
        assert.equal(nestingOverflow(make(MAX_NESTING)), -1);
        assert.notEqual(nestingOverflow(make(MAX_NESTING + 1)), -1);
      }
    });
  }

  it('points at the bracket that opens the level too many, in a file that is otherwise fine', () => {
    const text = `// settings\n{ "model": { "name": "x" }, "deep": ${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)} }`;
    const offset = nestingOverflow(text);
    assert.equal(offset, text.indexOf('['.repeat(MAX_NESTING)) + MAX_NESTING - 1);
  });

  it('scans a 4 MiB settings file in linear time (well under a second; a quadratic scan takes minutes)', () => {
    const text = JSON.stringify({ modelProviders: { openai: Array.from({ length: 16_000 }, (_, i) => ({ id: `model-${i}`, name: 'x'.repeat(200) })) } });
    const t0 = performance.now();
    assert.equal(nestingOverflow(text), -1);
    assert.ok(performance.now() - t0 < 250, `${(performance.now() - t0).toFixed(1)} ms for ${(text.length / 1048576).toFixed(1)} MiB`);
  });
});
