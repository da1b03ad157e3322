import { findNodeAtLocation, type Node, type ParseError, parseTree, visit } from 'jsonc-parser';
import { lineStarts, type Range, rangeAt } from './text-position.js';

/** Keys never merged or read: they would reach Object.prototype. */
export const POISON_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Like JSON.parse of a jsonc tree (a repeated key: the last one wins), without prototype keys. */
export function jsonValueOf(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (!k || !v || typeof k.value !== 'string' || POISON_KEYS.has(k.value)) continue;
        out[k.value] = jsonValueOf(v);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(jsonValueOf);
    default:
      return node.value;
  }
}

/**
 * Parses JSONC straight into plain values, like `jsonValueOf(parseTree(…))`
 * without building the syntax tree: a large settings file's tree is several
 * times the size of its values.
 */
export function parseJsonc(text: string, errors: ParseError[]): unknown {
  let root: unknown;
  const parents: (Record<string, unknown> | unknown[])[] = [];
  let key: string | undefined;
  const parent = () => parents[parents.length - 1];
  const put = (v: unknown) => {
    const p = parent();
    if (p === undefined) root ??= v;
    else if (Array.isArray(p)) p.push(v);
    else if (key !== undefined && !POISON_KEYS.has(key)) p[key] = v;
  };
  const open = (container: Record<string, unknown> | unknown[]) => {
    put(container);
    parents.push(container);
    key = undefined;
  };
  const close = () => {
    parents.pop();
  };
  visit(
    text,
    {
      onObjectBegin: () => open({}),
      onObjectProperty: (name) => {
        key = name;
      },
      onObjectEnd: close,
      onArrayBegin: () => open([]),
      onArrayEnd: close,
      onLiteralValue: put,
      onError: (error, offset, length) => errors.push({ error, offset, length }),
    },
    JSONC_OPTIONS,
  );
  return root;
}

export const JSONC_OPTIONS = { allowTrailingComma: true, disallowComments: false } as const;

export type JsonPath = (string | number)[];

/** Offsets and paths of a text as LSP ranges. */
export function locator(text: string) {
  let starts: number[] | undefined;
  const at = (offset: number, length: number) => rangeAt((starts ??= lineStarts(text)), offset, length);
  const locate = (paths: JsonPath[]): Range[] => {
    if (paths.length === 0) return [];
    const tree = parseTree(text, [], JSONC_OPTIONS);
    return paths.map((p) => {
      let node: Node | undefined;
      for (let n = p.length; n >= 0 && !node; n--) node = tree ? findNodeAtLocation(tree, p.slice(0, n)) : undefined;
      if (!node) return at(0, 1);
      // Point at the key when there is one: that is what a person looks for.
      const target = node.parent?.type === 'property' && node.parent.children?.[0] ? node.parent.children[0] : node;
      return at(target.offset, target.length);
    });
  };
  return { at, locate };
}

