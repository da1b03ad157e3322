/**
 * Trailing commas: jsonc-parser (the server's reader) accepts them, Qwen
 * Code's `JSON.parse(stripJsonComments(text))` does not. What Qwen Code then
 * does depends on the scope (settings.ts, loadSettings): a workspace file is
 * copied to `settings.json.corrupted` and replaced with `{}`; any other one
 * stops it with "Error in <path>: …  Please fix the configuration file(s)".
 */
import { createScanner } from 'jsonc-parser';
import type { Scope } from '../protocol/index.js';
import { CORRUPTED_SUFFIX } from './qwen-code-facts.js';
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
    `a trailing comma at ${where}, which Qwen Code cannot parse: it refuses to start ("Please fix the configuration file(s) and try again") ` +
    'until the comma is removed; the server reads the rest of the file but reports every model as unusable until then'
  );
}

/** Why no model can be used while a user or system file has a trailing comma: Qwen Code will not start. */
export function startupRefusal(files: readonly SettingsFile[]): string | undefined {
  const f = files.find((x) => x.qwenCodeRefuses !== undefined);
  return f && `Qwen Code will not start while ${f.path} has a trailing comma (${f.qwenCodeRefuses}): remove it`;
}

/** Marks every model unusable when Qwen Code will not start with these files. */
export function applyStartupRefusal(files: readonly SettingsFile[], catalogue: CatalogueModel[]): void {
  const reason = startupRefusal(files);
  if (!reason) return;
  for (const m of catalogue) {
    m.available = false;
    m.unavailableReason = reason;
  }
}
