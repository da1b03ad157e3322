import { parse as parseDotenv } from 'dotenv';
import type { EnvFormat } from './args.js';
import { Refusal } from './handover.js';
import type { Variables } from './variables.js';

/** POSIX sh: inside single quotes nothing is special but the quote itself, which is closed, escaped and reopened. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** fish: inside single quotes the only escapes are `\'` and `\\`; everything else, newlines included, is literal. */
export function fishQuote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * A `.env` line that dotenv (and so Qwen Code and this server) reads back
 * as exactly `value`: bare when plain, else the first quoting that survives
 * dotenv's own parser, which has no escapes but `\n` and `\r` in double quotes.
 */
export function dotenvLine(name: string, value: string): string {
  const candidates = /^[\w@%+=:,./~-]*$/.test(value) ? [value] : [`'${value}'`, `"${value}"`, `\`${value}\``];
  for (const c of candidates) {
    const line = `${name}=${c}`;
    if (parseDotenv(line)[name] === value) return line;
  }
  throw new Refusal(`the value of ${name} cannot be written as a .env line`, 'use --format json or sh');
}

export function formatVariables(vars: Variables, format: EnvFormat): string {
  switch (format) {
    case 'sh':
      return vars.map(([n, v]) => `export ${n}=${shQuote(v)}\n`).join('');
    case 'fish':
      return vars.map(([n, v]) => `set -gx ${n} ${fishQuote(v)}\n`).join('');
    case 'json':
      return `${JSON.stringify(Object.fromEntries(vars))}\n`;
    case 'dotenv':
      return vars.map(([n, v]) => `${dotenvLine(n, v)}\n`).join('');
  }
}
