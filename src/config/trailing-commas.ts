/**
 * Trailing commas: jsonc-parser (the server's reader) accepts them, Qwen
 * Code's `JSON.parse(stripJsonComments(text))` does not. What Qwen Code then
 * does depends on the scope (settings.ts, loadSettings): a workspace file is
 * copied to `settings.json.corrupted` and replaced with `{}`; any other one
 * stops it before it reads anything else, in its operator sandbox policy
 * read ("Cannot read operator sandbox policy from <path>: SyntaxError: …",
 * execution-sandbox-settings.ts), a user file copied to `.corrupted` first.
 */
import { createScanner } from 'jsonc-parser';
import type { Scope } from '../protocol/index.js';
import { CORRUPTED_SUFFIX, UNPARSABLE_SETTINGS_ERROR } from './qwen-code-facts.js';
import type { CatalogueModel } from './catalogue.js';
import type { SettingsFile } from './settings-file.js';

/** jsonc-parser's SyntaxKind values: a const enum, which isolated modules can't read. */
const CLOSE_BRACE = 2;
const CLOSE_BRACKET = 4;
const COMMA = 5;
const EOF = 17;

/** The offset of every comma that closes an object or a list, comments and whitespace skipped. */
export function trailingCommas(text: string): number[] {
  const scanner = createScanner(text, true);
  const out: number[] = [];
  let comma = -1;
  for (let kind = scanner.scan(); kind !== EOF; kind = scanner.scan()) {
    if ((kind === CLOSE_BRACE || kind === CLOSE_BRACKET) && comma !== -1) out.push(comma);
    comma = kind === COMMA ? scanner.getTokenOffset() : -1;
  }
  return out;
}

/** `line L, column C`, 1-based, from a 0-based position. */
export const lineColumn = (p: { line: number; character: number }) => `line ${p.line + 1}, column ${p.character + 1}`;

/** Whether Qwen Code gives up on the whole configuration for this scope's unparsable file (else it resets the file). */
export const isFatalScope = (scope: Scope) => scope !== 'workspace';

/** The diagnostic's message for a trailing comma at `where` in a file of `scope`. */
export function trailingCommaMessage(scope: Scope, where: string): string {
  if (!isFatalScope(scope)) {
    return (
      `a trailing comma at ${where}, which Qwen Code cannot parse: when it next starts here it copies this file to settings.json${CORRUPTED_SUFFIX} ` +
      'and replaces it with {}, so none of these settings apply; the server reads the file as {} too (and leaves it alone): remove the comma to keep them'
    );
  }
  return (
    `a trailing comma at ${where}, which Qwen Code cannot parse: it refuses to start ("${UNPARSABLE_SETTINGS_ERROR} <this file>: SyntaxError: …") ` +
    'until the comma is removed; the server reads the rest of the file but reports every model as unusable until then'
  );
}

/** Why no model can be used while a user or system file has a trailing comma (at `where`): Qwen Code will not start. */
export function trailingCommaRefusal(path: string, where: string): string {
  return `Qwen Code will not start while ${path} has a trailing comma (${where}): remove it`;
}

/** Marks every model unusable when Qwen Code will not start with these files (see `SettingsFile.qwenCodeRefuses`). */
export function applyStartupRefusal(files: readonly SettingsFile[], catalogue: CatalogueModel[]): void {
  const reason = files.find((x) => x.qwenCodeRefuses !== undefined)?.qwenCodeRefuses;
  if (!reason) return;
  for (const m of catalogue) {
    m.available = false;
    m.unavailableReason = reason;
  }
}
