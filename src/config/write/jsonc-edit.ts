import { isDeepStrictEqual } from 'node:util';
import { applyEdits, type Edit, type Node, type ParseError, parseTree, printParseErrorCode, stripComments } from 'jsonc-parser';
import { ServerError } from '../../protocol/index.js';
import { jsonValueOf, nestingOverflow, POISON_KEYS, tooDeepMessage } from '../jsonc-value.js';
import { type UpdateFileOptions, updateFileLocked } from './update.js';

export type JsonPath = (string | number)[];

/** Set `path` to `value`; `value: undefined` removes it. A number indexes an array; -1 appends. */
export interface JsonEdit {
  path: JsonPath;
  value: unknown;
}

/** A fixed list, or one computed from the file's current contents (parsed fresh under the lock; may be called more than once). */
export type JsonEdits = readonly JsonEdit[] | ((current: unknown) => readonly JsonEdit[] | Promise<readonly JsonEdit[]>);

export type EditJsoncOptions = Omit<UpdateFileOptions, 'usable'>;

export interface EditJsoncResult {
  changed: boolean;
  /** The file's text after the edit ('' when the file still doesn't exist). */
  text: string;
}

/**
 * Edits a JSON-with-comments file in place: only the edited values change;
 * comments, key order, unknown keys and the formatting elsewhere stay as
 * they are. A file that doesn't parse is refused with `ConfigInvalid` and
 * left alone. See `updateFileLocked` for locking and outside writers.
 */
export async function editJsoncFile(path: string, edits: JsonEdits, opts: EditJsoncOptions = {}): Promise<EditJsoncResult> {
  const edit = (text: string, list: readonly JsonEdit[]) => {
    const next = applyJsoncEdits(text, list, path);
    return next === text ? null : next;
  };
  const r = await updateFileLocked(
    path,
    (current) => {
      const text = current ?? '';
      if (typeof edits !== 'function') return edit(text, edits);
      // Without a pointless await when the edits come at once: see updateFileLocked.
      const list = edits(readJsonc(text, path).value);
      return list instanceof Promise ? list.then((l) => edit(text, l)) : edit(text, list);
    },
    { ...opts, usable: isWholeJsonc },
  );
  return { changed: r.changed, text: r.text ?? '' };
}

/** A read worth editing: an object that parses. Anything else may be a file caught while another program writes it. */
function isWholeJsonc(bytes: Buffer): boolean {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // Whole, but never to be parsed (the parser recurses): the edit refuses it.
    if (nestingOverflow(text) !== -1) return true;
    return !isBlank(text) && readJsonc(text, '').tree !== undefined;
  } catch {
    return false;
  }
}

/** The pure part of `editJsoncFile`: `label` names the file in errors. */
export function applyJsoncEdits(text: string, edits: readonly JsonEdit[], label = 'the file'): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  let body = text.slice(bom.length);
  const expected = readJsonc(body, label).value;
  const style = detectStyle(body);
  for (const edit of edits) {
    checkPath(edit.path);
    const value = normalize(edit.value);
    body = applyOne(body, edit.path, value, style, label);
    setIn(expected, edit.path, structuredClone(value));
  }
  // Guard against a bug here ever reaching the disk: the text must parse to
  // exactly what the edits mean.
  const errors: ParseError[] = [];
  const tree = isBlank(body) ? undefined : parseTree(body, errors, PARSE_OPTIONS);
  const actual = tree ? jsonValueOf(tree) : {};
  if (errors.length > 0 || !isDeepStrictEqual(actual, expected)) {
    throw new Error(`Editing ${label} went wrong (the result would not match the requested change); nothing was written`);
  }
  return bom + body;
}

const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false } as const;

interface Parsed {
  tree: Node | undefined;
  value: Record<string, unknown>;
}

function isBlank(text: string): boolean {
  return stripComments(text).trim() === '';
}

/** Parses for editing: an empty (or comments-only) file is `{}`; any syntax error, or a top level that isn't an object, is `ConfigInvalid`. */
function readJsonc(text: string, label: string): Parsed {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (isBlank(body)) return { tree: undefined, value: {} };
  if (nestingOverflow(body) !== -1) {
    throw new ServerError('ConfigInvalid', `${tooDeepMessage(label)}, then try again`, { path: label });
  }
  const errors: ParseError[] = [];
  const tree = parseTree(body, errors, PARSE_OPTIONS);
  const first = errors[0];
  if (first) {
    const { line, column } = lineColumn(body, first.offset);
    throw new ServerError(
      'ConfigInvalid',
      `${label} has a JSON error at line ${line}, column ${column}: ${describeError(first)}; fix it by hand, then try again`,
      { path: label },
    );
  }
  if (!tree || tree.type !== 'object') {
    throw new ServerError('ConfigInvalid', `${label} must hold a JSON object at the top level; fix it by hand, then try again`, {
      path: label,
    });
  }
  return { tree, value: jsonValueOf(tree) as Record<string, unknown> };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

// Never quote the text around the error: the file may hold a key.
const ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a property name in double quotes was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: "a ':' was expected",
  CommaExpected: "a ',' was expected",
  CloseBraceExpected: "a closing '}' was expected",
  CloseBracketExpected: "a closing ']' was expected",
  EndOfFileExpected: 'unexpected text after the end of the JSON',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut off',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'invalid character in a string',
};

function describeError(err: ParseError): string {
  const name = printParseErrorCode(err.error);
  return ERROR_TEXT[name] ?? name;
}

function checkPath(path: JsonPath): void {
  if (path.length === 0) throw new TypeError('A JSON edit needs a non-empty path');
  for (const seg of path) {
    if (typeof seg === 'string' ? POISON_KEYS.has(seg) : !Number.isInteger(seg) || seg < -1) {
      throw new TypeError(`Invalid segment in JSON edit path: ${String(seg)}`);
    }
  }
}

/** The value as it will read back from the file (what JSON keeps of it). */
function normalize(value: unknown): unknown {
  if (value === undefined) return undefined;
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('A JSON edit value must be representable as JSON');
  return JSON.parse(json);
}

function setIn(root: unknown, path: JsonPath, value: unknown): void {
  let cur = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const key = Array.isArray(cur) && seg === -1 ? cur.length : seg;
    if (i === path.length - 1) {
      if (value !== undefined) cur[key] = value;
      else if (Array.isArray(cur)) {
        if (typeof key === 'number' && key < cur.length) cur.splice(key, 1);
      } else delete cur[key];
      return;
    }
    let next = cur[key];
    if (next === undefined) {
      if (value === undefined) return;
      next = cur[key] = {};
    }
    cur = next as Record<string | number, unknown>;
  }
}

interface Style {
  unit: string;
  eol: string;
}

/** The file's own indentation and line ending, so inserted lines look like their neighbours. */
function detectStyle(text: string): Style {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indents = [...text.matchAll(/^([ \t]+)["}\]]/gm)].map((m) => m[1]!);
  if (indents[0]?.startsWith('\t')) return { unit: '\t', eol };
  const spaces = indents.filter((s) => !s.includes('\t')).map((s) => s.length);
  const unit = spaces.length > 0 ? Math.min(...spaces, 8) : 2;
  return { unit: ' '.repeat(unit), eol };
}

function formatValue(value: unknown, indent: string, style: Style, multiLine: boolean): string {
  if (!multiLine) return JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
  return JSON.stringify(value, null, style.unit).split('\n').join(style.eol + indent);
}

function kindOf(node: Node): string {
  switch (node.type) {
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'null':
      return 'null';
    default:
      return `a ${node.type}`;
  }
}

function showPath(path: JsonPath): string {
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.') || '(top level)';
}

/** The `{a: {b: value}}` to insert where `path` is missing from its first segment on. */
function nest(path: JsonPath, value: unknown): unknown {
  let out = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i]!;
    if (typeof seg === 'number') throw new TypeError('A JSON edit can only create objects, not list items, under a missing parent');
    out = { [seg]: out };
  }
  return out;
}

function applyOne(text: string, path: JsonPath, value: unknown, style: Style, label: string): string {
  const tree = isBlank(text) ? undefined : parseTree(text, [], PARSE_OPTIONS);
  if (!tree) {
    if (value === undefined) return text;
    const json = formatValue(nest(path, value), '', style, true) + style.eol;
    const head = text.trimEnd();
    return head ? head + style.eol + json : json;
  }
  let node = tree;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (node.type === 'object' && typeof seg === 'string') {
      const props = (node.children ?? []).filter((p) => p.children?.[0]?.value === seg);
      const prop = props[props.length - 1];
      if (!prop) {
        if (value === undefined) return text;
        return insertMember(text, node, `${JSON.stringify(seg)}: `, nest(path.slice(i + 1), value), style);
      }
      if (last && value === undefined) {
        // Every copy of a repeated key goes, or an earlier one would come back into effect.
        return applyOne(removeMember(text, node, prop), path, value, style, label);
      }
      node = prop.children![1]!;
    } else if (node.type === 'array' && typeof seg === 'number') {
      const items = node.children ?? [];
      const index = seg === -1 ? items.length : seg;
      const item = items[index];
      if (!item) {
        if (value === undefined) return text;
        if (index !== items.length) throw new TypeError(`List index ${seg} is past the end of ${showPath(path.slice(0, i))}`);
        return insertMember(text, node, '', nest(path.slice(i + 1), value), style);
      }
      if (last && value === undefined) return removeMember(text, node, item);
      node = item;
    } else {
      throw new ServerError(
        'ConfigInvalid',
        `${label}: ${showPath(path.slice(0, i))} is ${kindOf(node)}, so ${showPath(path)} can't be set; fix it by hand, then try again`,
        { path: label },
      );
    }
  }
  return replaceValue(text, node, path, value, style, label);
}

function replaceValue(text: string, node: Node, path: JsonPath, value: unknown, style: Style, label: string): string {
  const current = jsonValueOf(node);
  if (isDeepStrictEqual(current, value)) return text;
  // Going key by key keeps the comments and layout of the parts that stay.
  if (isPlainObject(current) && isPlainObject(value)) {
    for (const key of Object.keys(current)) {
      if (!(key in value)) text = applyOne(text, [...path, key], undefined, style, label);
    }
    for (const [key, v] of Object.entries(value)) text = applyOne(text, [...path, key], v, style, label);
    return text;
  }
  if (Array.isArray(current) && Array.isArray(value) && current.length === value.length) {
    value.forEach((v, i) => {
      text = applyOne(text, [...path, i], v, style, label);
    });
    return text;
  }
  if (Array.isArray(current) && Array.isArray(value)) {
    return editList(text, node, path, value, alignItems(current, value), style, label);
  }
  const container = node.parent?.type === 'property' ? node.parent.parent : node.parent;
  const multiLine = container ? spansLines(text, container) : true;
  const content = formatValue(value, indentOfLine(text, node.offset), style, multiLine);
  return applyEdits(text, [{ offset: node.offset, length: node.length, content }]);
}

/**
 * For each new item, the old item it continues (the same value, else an
 * object with the same `id` and `baseUrl`, as model entries are known), or
 * -1 for an item to insert. Items that changed places can't all stay: the
 * largest set that keeps its order does, unchanged items counting double
 * (a person's own entry, which a preset login moves behind its own), and
 * the rest are written afresh.
 */
function alignItems(current: unknown[], value: unknown[]): number[] {
  const used = new Set<number>();
  const same = value.map((v) => {
    const i = current.findIndex((c, k) => !used.has(k) && isDeepStrictEqual(c, v));
    if (i !== -1) used.add(i);
    return i;
  });
  const match = [...same];
  const identity = (x: unknown) => (isPlainObject(x) && typeof x['id'] === 'string' ? JSON.stringify([x['id'], x['baseUrl'] ?? null]) : undefined);
  value.forEach((v, j) => {
    if (match[j] !== -1) return;
    const id = identity(v);
    if (id === undefined) return;
    const i = current.findIndex((c, k) => !used.has(k) && identity(c) === id);
    if (i !== -1) {
      used.add(i);
      match[j] = i;
    }
  });
  // The heaviest chain of matches whose old indices increase (O(n²): lists are short).
  const weight = (j: number) => (match[j] === -1 ? 0 : same[j] !== -1 ? 2 : 1);
  const best: number[] = match.map((_, j) => weight(j));
  const prev = match.map(() => -1);
  for (let j = 0; j < match.length; j++) {
    if (match[j] === -1) continue;
    for (let k = 0; k < j; k++) {
      if (match[k] !== -1 && match[k]! < match[j]! && best[k]! + weight(j) > best[j]!) {
        best[j] = best[k]! + weight(j);
        prev[j] = k;
      }
    }
  }
  let end = -1;
  best.forEach((b, j) => {
    if (match[j] !== -1 && (end === -1 || b > best[end]!)) end = j;
  });
  const chain = new Set<number>();
  for (let j = end; j !== -1; j = prev[j]!) chain.add(j);
  return match.map((i, j) => (chain.has(j) ? i : -1));
}

/**
 * Turns the list at `path` into `value` item by item: old items that stay
 * are edited in place (their comments with them), the others removed, new
 * ones inserted where they go.
 */
function editList(text: string, node: Node, path: JsonPath, value: unknown[], kept: number[], style: Style, label: string): string {
  const current = node.children ?? [];
  const stays = new Set(kept);
  // Back to front, so the indices of the items still to visit hold.
  for (let i = current.length - 1; i >= 0; i--) if (!stays.has(i)) text = applyOne(text, [...path, i], undefined, style, label);
  value.forEach((v, j) => {
    if (kept[j] === -1) text = insertItem(text, path, j, v, style, label);
    else text = applyOne(text, [...path, j], v, style, label);
  });
  return text;
}

/** Inserts `value` as item `index` of the list at `path`, before the item now there (and the comment lines right above it). */
function insertItem(text: string, path: JsonPath, index: number, value: unknown, style: Style, label: string): string {
  const tree = parseTree(text, [], PARSE_OPTIONS)!;
  let list: Node | undefined = tree;
  for (const seg of path) {
    list = typeof seg === 'number' ? list?.children?.[seg] : list?.children?.find((p) => p.children?.[0]?.value === seg)?.children?.[1];
  }
  const before = list?.type === 'array' ? list.children?.[index] : undefined;
  if (!list || !before) return applyOne(text, [...path, -1], value, style, label);
  const indent = ownLineIndent(text, before.offset);
  if (indent === null || !spansLines(text, list)) {
    return applyEdits(text, [{ offset: before.offset, length: 0, content: `${formatValue(value, '', style, false)}, ` }]);
  }
  const at = commentBlockStart(text, lineStart(text, before.offset));
  return applyEdits(text, [{ offset: at, length: 0, content: indent + formatValue(value, indent, style, true) + ',' + style.eol }]);
}

/** The start of the run of comment-only lines that ends at `pos` (a line start), or `pos`. */
function commentBlockStart(text: string, pos: number): number {
  let start = pos;
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    const line = text.slice(prev, start).trim();
    if (!(line.startsWith('//') || (line.startsWith('/*') && line.endsWith('*/')))) break;
    start = prev;
  }
  return start;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function spansLines(text: string, node: Node): boolean {
  return /[\r\n]/.test(text.slice(node.offset, node.offset + node.length));
}

function lineStart(text: string, pos: number): number {
  return Math.max(text.lastIndexOf('\n', pos - 1), text.lastIndexOf('\r', pos - 1)) + 1;
}

/** The whitespace a line starts with. */
function indentOfLine(text: string, pos: number): string {
  const start = lineStart(text, pos);
  return /^[ \t]*/.exec(text.slice(start, pos))![0];
}

/** The indentation before `pos` when only whitespace precedes it on its line, else null. */
function ownLineIndent(text: string, pos: number): string | null {
  const prefix = text.slice(lineStart(text, pos), pos);
  return /^[ \t]*$/.test(prefix) ? prefix : null;
}

interface LineTail {
  /** Offset of a comma right after the member, if any. */
  comma: number | undefined;
  /** Offset of the line break ending the member's line (or the text's end). */
  eol: number;
}

/**
 * What follows a member on its line, if it is only an optional comma and
 * comments: those belong to the member, and a new member goes after them.
 */
function lineTail(text: string, pos: number): LineTail | null {
  let comma: number | undefined;
  let i = pos;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') i++;
    else if (c === ',' && comma === undefined) comma = i++;
    else if (c === '\n' || c === '\r') return { comma, eol: i };
    else if (text.startsWith('//', i)) return { comma, eol: lineEnd(text, i) };
    else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0 || /[\r\n]/.test(text.slice(i, end))) return null;
      i = end + 2;
    } else return null;
  }
  return { comma, eol: text.length };
}

function lineEnd(text: string, pos: number): number {
  const m = /[\r\n]/.exec(text.slice(pos));
  return m ? pos + m.index : text.length;
}

/** Offset of the first character at or after `pos` that isn't whitespace or a comment. */
function nextToken(text: string, pos: number): number {
  let i = pos;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) i++;
    else if (text.startsWith('//', i)) i = lineEnd(text, i);
    else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else break;
  }
  return i;
}

function commaAfter(text: string, pos: number): number | undefined {
  const i = nextToken(text, pos);
  return text[i] === ',' ? i : undefined;
}

function insertMember(text: string, container: Node, keyPrefix: string, value: unknown, style: Style): string {
  const open = container.offset;
  const close = container.offset + container.length - 1;
  const members = container.children ?? [];
  const multiLine = spansLines(text, container);
  const lastMember = members[members.length - 1];
  if (lastMember) {
    const end = lastMember.offset + lastMember.length;
    const indent = ownLineIndent(text, lastMember.offset);
    const tail = lineTail(text, end);
    if (multiLine && indent !== null && tail && tail.eol < close) {
      // After the last member's line, so its trailing comment stays with it.
      // A trailing comma is only added where the file already uses them.
      const edits: Edit[] = [];
      if (tail.comma === undefined) edits.push({ offset: end, length: 0, content: ',' });
      const member = indent + keyPrefix + formatValue(value, indent, style, true) + (tail.comma === undefined ? '' : ',');
      edits.push({ offset: tail.eol, length: 0, content: style.eol + member });
      return applyEdits(text, edits);
    }
    return applyEdits(text, [{ offset: end, length: 0, content: `, ${keyPrefix}${formatValue(value, '', style, false)}` }]);
  }
  if (text.slice(open + 1, close).trim() === '') {
    const base = indentOfLine(text, open);
    const indent = base + style.unit;
    const member = indent + keyPrefix + formatValue(value, indent, style, true);
    return applyEdits(text, [{ offset: open + 1, length: close - open - 1, content: style.eol + member + style.eol + base }]);
  }
  // Empty but for comments.
  const closeIndent = multiLine ? ownLineIndent(text, close) : null;
  if (closeIndent !== null) {
    const indent = closeIndent + style.unit;
    const member = indent + keyPrefix + formatValue(value, indent, style, true);
    return applyEdits(text, [{ offset: close - closeIndent.length, length: 0, content: member + style.eol }]);
  }
  return applyEdits(text, [{ offset: open + 1, length: 0, content: ` ${keyPrefix}${formatValue(value, '', style, false)}` }]);
}

function removeMember(text: string, container: Node, member: Node): string {
  const members = container.children ?? [];
  const index = members.indexOf(member);
  const start = member.offset;
  const end = member.offset + member.length;
  const after = commaAfter(text, end);
  const prev = index > 0 ? members[index - 1] : undefined;
  const before = prev ? commaAfter(text, prev.offset + prev.length) : undefined;

  const indent = ownLineIndent(text, start);
  const tail = lineTail(text, end);
  if (indent !== null && tail && (after === undefined || after === tail.comma)) {
    // Whole lines, the member's trailing comment with them. The comments
    // above it may be about more than this member: they stay.
    const from = start - indent.length;
    const to = text.startsWith('\r\n', tail.eol) ? tail.eol + 2 : Math.min(tail.eol + 1, text.length);
    const edits: Edit[] = [{ offset: from, length: to - from, content: '' }];
    // The previous member becomes the last: no trailing comma unless the file already had one here.
    if (after === undefined && before !== undefined) edits.push({ offset: before, length: 1, content: '' });
    return applyEdits(text, edits);
  }
  if (after !== undefined) {
    let to = after + 1;
    while (text[to] === ' ' || text[to] === '\t') to++;
    return applyEdits(text, [{ offset: start, length: to - start, content: '' }]);
  }
  if (before !== undefined) return applyEdits(text, [{ offset: before, length: end - before, content: '' }]);
  let to = end;
  while (text[to] === ' ' || text[to] === '\t') to++;
  return applyEdits(text, [{ offset: start, length: to - start, content: '' }]);
}
