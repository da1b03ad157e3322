import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContextItem } from '../protocol/index.js';

/** The file name a model is shown: relative to the project when the file is inside it. */
export function fileLabel(uri: string, cwd: string): string {
  if (!uri.startsWith('file:')) return uri;
  let path: string;
  try {
    path = fileURLToPath(uri);
  } catch {
    return uri;
  }
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
}

/** A fence longer than any run of backticks in the text, so the text cannot close it. */
function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function describe(item: ContextItem, cwd: string): string {
  const parts: string[] = [];
  parts.push(item.uri ? `File: ${fileLabel(item.uri, cwd)}` : 'Selected text');
  if (item.languageId) parts.push(`(${item.languageId})`);
  if (item.range) {
    const a = item.range.start.line + 1;
    const b = item.range.end.line + 1;
    parts.push(a === b ? `line ${a}` : `lines ${a}-${b}`);
  }
  return parts.join(' ');
}

/**
 * The user's message as the model sees it: each context item as a fenced
 * block headed by its file name, language and lines, then the question.
 */
export function foldContext(text: string, items: readonly ContextItem[] | undefined, cwd: string): string {
  if (!items || items.length === 0) return text;
  const blocks = items.map((item) => {
    const fence = fenceFor(item.text);
    const body = item.text.endsWith('\n') ? item.text : `${item.text}\n`;
    return `${describe(item, cwd)}:\n${fence}${item.languageId ?? ''}\n${body}${fence}`;
  });
  return `${blocks.join('\n\n')}\n\n${text}`;
}
