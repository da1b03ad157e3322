import { type Node, type ParseError, visit } from 'jsonc-parser';
import { FILE_START, lineStarts, type Range, rangeAt } from './text-position.js';

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

/**
 * How deep a file the server reads may nest. No setting nests more than a
 * few levels; the bound keeps every recursive walk of a file's value
 * (jsonc-parser's, ours, structuredClone, JSON.stringify) far from the end
 * of the stack, which 100,000 nested arrays would otherwise reach.
 */
export const MAX_NESTING = 100;

export const tooDeepMessage = (path: string) =>
  `${path} nests arrays or objects more than ${MAX_NESTING} levels deep, which no setting needs, so it is not read: flatten it`;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const STAR = 0x2a;
const LF = 0x0a;
const CR = 0x0d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The offset of the first `[` or `{` that opens level MAX_NESTING + 1, or
 * -1: a plain loop, safe to run before any recursive parser (about 1 ms for
 * a settings file with 1,000 models). Strings and comments end where
 * jsonc-parser's scanner ends them (a string also at a line break; a
 * backslash escapes any character). A closer that does not match the
 * innermost opener is not counted as closing anything: the parser skips it
 * too and stays as deep (`[},[},…` nests without bound).
 */
export function nestingOverflow(text: string, max = MAX_NESTING): number {
  const open: number[] = [];
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < len; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        // A line break ends the string without being part of it: it is white space, skipping it is fine.
        else if (d === QUOTE || d === LF || d === CR) break;
      }
    } else if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
      while (i + 1 < len && text.charCodeAt(i + 1) !== LF && text.charCodeAt(i + 1) !== CR) i++;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? len : end + 1;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (open.length === max) return i;
      open.push(c);
    } else if ((c === CLOSE_BRACKET && open[open.length - 1] === OPEN_BRACKET) || (c === CLOSE_BRACE && open[open.length - 1] === OPEN_BRACE)) {
      open.pop();
    }
  }
  return -1;
}

export type JsonPath = (string | number)[];

const pathKey = (p: JsonPath): string => JSON.stringify(p);

/**
 * Where each path is in a JSONC text, in one pass and without a syntax
 * tree: the property name for an object's value (what a person looks for),
 * the whole value for an array element or the root. A path that is not there
 * falls back to its nearest ancestor that is; with a repeated key, the first.
 */
export function findPaths(text: string, paths: JsonPath[]): ({ offset: number; length: number } | undefined)[] {
  const wanted = new Set<string>();
  for (const p of paths) for (let n = 0; n <= p.length; n++) wanted.add(pathKey(p.slice(0, n)));
  const found = new Map<string, { offset: number; length: number }>();
  /** Containers that are array elements or the root: their span is known at their end. */
  const open: { key: string | undefined; offset: number }[] = [];
  const spanned = (path: JsonPath) => path.length === 0 || typeof path[path.length - 1] === 'number';
  const begin = (offset: number, _l: number, _sl: number, _sc: number, pathSupplier: () => JsonPath) => {
    const path = pathSupplier();
    const key = spanned(path) ? pathKey(path) : undefined;
    open.push({ key: key !== undefined && wanted.has(key) ? key : undefined, offset });
  };
  const end = (offset: number, length: number) => {
    const c = open.pop();
    if (c?.key !== undefined && !found.has(c.key)) found.set(c.key, { offset: c.offset, length: offset + length - c.offset });
  };
  visit(
    text,
    {
      onObjectBegin: begin,
      onArrayBegin: begin,
      onObjectEnd: end,
      onArrayEnd: end,
      onObjectProperty: (name, offset, length, _sl, _sc, pathSupplier) => {
        const key = pathKey([...pathSupplier(), name]);
        if (wanted.has(key) && !found.has(key)) found.set(key, { offset, length });
      },
      onLiteralValue: (_v: unknown, offset, length, _sl, _sc, pathSupplier) => {
        const path = pathSupplier();
        if (!spanned(path)) return;
        const key = pathKey(path);
        if (wanted.has(key) && !found.has(key)) found.set(key, { offset, length });
      },
    },
    JSONC_OPTIONS,
  );
  return paths.map((p) => {
    for (let n = p.length; n >= 0; n--) {
      const hit = found.get(pathKey(p.slice(0, n)));
      if (hit) return hit;
    }
    return undefined;
  });
}

/** Offsets and paths of a text as LSP ranges. */
export function locator(text: string) {
  let starts: number[] | undefined;
  const at = (offset: number, length: number) => rangeAt((starts ??= lineStarts(text)), offset, length);
  const locate = (paths: JsonPath[]): Range[] =>
    paths.length === 0 ? [] : findPaths(text, paths).map((hit) => (hit ? at(hit.offset, hit.length) : FILE_START));
  return { at, locate };
}
