import type { Node } from 'jsonc-parser';

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
