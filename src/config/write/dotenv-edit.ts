import { isDeepStrictEqual } from 'node:util';
import { parse } from 'dotenv';
import { ServerError } from '../../protocol/index.js';
import { writeFailure } from './failure.js';
import { readRegularSync } from './read.js';
import { updateFileLocked } from './update.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * dotenv 17's own line pattern (lib/main.js, not exported), with `d` for
 * match offsets: finding assignments exactly the way `parse` does is what
 * makes an in-place edit safe, including multi-line quoted values and
 * `KEY: value` lines. Bump together with dotenv.
 */
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

/** The variables of a `.env` file as dotenv reads them, or null when there is no file. */
export async function readDotenvFile(path: string): Promise<Record<string, string> | null> {
  let bytes: Buffer | null;
  try {
    bytes = readRegularSync(path);
  } catch (err) {
    throw writeFailure(err, path);
  }
  return bytes === null ? null : parse(bytes);
}

/**
 * Sets `name` in a `.env` file: an existing line is replaced in place (its
 * `export ` and trailing comment kept), later copies of it are dropped, a
 * new one is appended; every other byte stays. The value counts as a secret:
 * a new file is 0600, and an existing one that others can read becomes 0600.
 */
export async function setDotenvVar(path: string, name: string, value: string): Promise<void> {
  checkName(name, path);
  await updateFileLocked(
    path,
    (current) => {
      const next = setDotenvVarInText(current ?? '', name, value, path);
      return next === current ? null : next;
    },
    { secret: true },
  );
}

/** Removes every assignment of `name`; false when there was none (or no file). */
export async function removeDotenvVar(path: string, name: string): Promise<boolean> {
  checkName(name, path);
  // Nothing to remove: don't create the folder the lock would need.
  if ((await readDotenvFile(path)) === null) return false;
  let removed = false;
  await updateFileLocked(path, (current) => {
    if (current === null) return null;
    const next = removeDotenvVarInText(current, name, path);
    removed = next !== current;
    return removed ? next : null;
  });
  return removed;
}

function checkName(name: string, path: string): void {
  if (!NAME.test(name)) {
    throw new ServerError('ConfigInvalid', `"${name}" can't be stored in ${path}: a variable name is letters, digits and _, not starting with a digit`, {
      path,
    });
  }
}

interface Assignment {
  name: string;
  /** Start of the line holding the name. */
  lineStart: number;
  /** End of the line the value ends on (before its line break). */
  lineEnd: number;
  /** Just past that line break (the text's end if none). */
  nextLine: number;
  exported: boolean;
  /** A `# comment` after the value on its last line. */
  comment: string;
}

/** The assignments dotenv sees, with offsets into `text` as it is (CRLF and all). */
function assignments(text: string): Assignment[] {
  // dotenv matches on LF-only text; keep a map back to the real offsets.
  const norm = text.replace(/\r\n?/g, '\n');
  const toOrig: number[] = new Array<number>(norm.length + 1);
  for (let i = 0, j = 0; j <= norm.length; j++) {
    toOrig[j] = i;
    i += text.startsWith('\r\n', i) ? 2 : 1;
  }
  const out: Assignment[] = [];
  LINE.lastIndex = 0;
  for (let m = LINE.exec(norm); m !== null; m = LINE.exec(norm)) {
    const [keyStart, keyEnd] = m.indices![1]!;
    const sep = /\s*=|:\s/y;
    sep.lastIndex = keyEnd;
    sep.exec(norm);
    const valueEnd = m.indices![2]?.[1] ?? sep.lastIndex;
    const start = norm.lastIndexOf('\n', keyStart - 1) + 1;
    const nl = norm.indexOf('\n', valueEnd);
    const end = nl < 0 ? norm.length : nl;
    const prefix = norm.slice(start, keyStart);
    out.push({
      name: m[1]!,
      lineStart: toOrig[start]!,
      lineEnd: toOrig[end]!,
      nextLine: toOrig[nl < 0 ? norm.length : nl + 1]!,
      exported: /export\s+$/.test(prefix),
      comment: /#.*$/.exec(norm.slice(valueEnd, end))?.[0] ?? '',
    });
    if (m[0].length === 0) LINE.lastIndex++;
  }
  return out;
}

/**
 * Ways to write a value, clearest first: plain, then wrapped in a quote the
 * value doesn't contain (on one line, then spanning lines), then forms that
 * only read back right through quirks of dotenv's parser. The first that
 * reads back unchanged, checked on the whole file, wins.
 */
function encodings(value: string): string[] {
  if (value === '') return ["''"];
  const out: string[] = [];
  if (/^[^\s'"`#][^#\r\n]*$/.test(value) && !/\s$/.test(value)) out.push(value);
  const newline = /[\r\n]/.test(value);
  const escaped = `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  if (!newline && !value.includes("'")) out.push(`'${value}'`);
  if (!value.includes('"')) out.push(escaped);
  if (!newline && !value.includes('`')) out.push(`\`${value}\``);
  if (!value.includes('\r')) {
    if (!value.includes("'")) out.push(`'${value}'`);
    if (!value.includes('`')) out.push(`\`${value}\``);
  }
  out.push(`'${value}'`, escaped, `\`${value}\``);
  return [...new Set(out)];
}

/** The pure part of `setDotenvVar`. `label` names the file in errors (never the value). */
export function setDotenvVarInText(text: string, name: string, value: string, label = 'the .env file'): string {
  checkName(name, label);
  const found = assignments(text).filter((a) => a.name === name);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const expected = { ...parse(text), [name]: value };
  const [first, ...later] = found;
  for (const enc of encodings(value)) {
    let next: string;
    if (first) {
      const line = `${indentOf(text, first)}${first.exported ? 'export ' : ''}${name}=${enc}${first.comment ? ` ${first.comment}` : ''}`;
      // dotenv keeps the last copy; dropping the later ones makes this one count.
      next = splice(text, [{ from: first.lineStart, to: first.lineEnd, content: line }, ...later.map(dropLine)]);
    } else {
      const sep = text === '' || text.endsWith('\n') ? '' : eol;
      next = `${text}${sep}${name}=${enc}${eol}`;
    }
    if (isDeepStrictEqual(parse(next), expected)) return next;
  }
  throw new ServerError('ConfigInvalid', `The value for ${name} can't be written to ${label} so that it reads back unchanged`, {
    path: label,
    hint: 'A value with every kind of quote and a # or a line break has no .env form; pick another value.',
  });
}

/** The pure part of `removeDotenvVar`. */
export function removeDotenvVarInText(text: string, name: string, label = 'the .env file'): string {
  checkName(name, label);
  const found = assignments(text).filter((a) => a.name === name);
  if (found.length === 0) return text;
  const next = splice(text, found.map(dropLine));
  const expected = parse(text);
  delete expected[name];
  if (!isDeepStrictEqual(parse(next), expected)) {
    const line = text.slice(0, found[0]!.lineStart).split('\n').length;
    throw new ServerError('ConfigInvalid', `Can't remove ${name} from ${label} safely (line ${line}); edit the file by hand`, { path: label });
  }
  return next;
}

interface Splice {
  from: number;
  to: number;
  content: string;
}

function dropLine(a: Assignment): Splice {
  return { from: a.lineStart, to: a.nextLine, content: '' };
}

function indentOf(text: string, a: Assignment): string {
  return /^[ \t]*/.exec(text.slice(a.lineStart, a.lineEnd))![0];
}

function splice(text: string, edits: Splice[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.content + out.slice(e.to);
  return out;
}
