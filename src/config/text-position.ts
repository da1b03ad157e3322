export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

/** Line starts of a text, for turning offsets into LSP positions. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) starts.push(i + 1);
  }
  return starts;
}

/** Where a diagnostic with nothing more precise to point at goes: the file's first character. */
export const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

export function positionAt(starts: number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - (starts[lo] ?? 0) };
}

export function rangeAt(starts: number[], offset: number, length: number): Range {
  return { start: positionAt(starts, offset), end: positionAt(starts, offset + Math.max(length, 1)) };
}
