import { homedir } from 'node:os';
import { Logger } from '../connection/logger.js';
import { decodeResult } from '../connection/encoded.js';
import { createServices } from '../handlers/index.js';
import { type AuthStatusResult, type ModelListResult, type ResolvedConfig, scrubValue, type Source } from '../protocol/index.js';
import { VERSION } from '../version.js';
import type { CliArgs } from './args.js';

export interface StatusView {
  version: string;
  config: ResolvedConfig;
  auth: AuthStatusResult | null;
  models: ModelListResult;
}

interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

function paint(color: boolean): Paint {
  const w = (code: number, end = 39) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[${end}m` : s);
  return { bold: w(1, 22), dim: w(2, 22), green: w(32), red: w(31), yellow: w(33), cyan: w(36) };
}

function tilde(p: string, home: string): string {
  return home && (p === home || p.startsWith(`${home}/`)) ? `~${p.slice(home.length)}` : p;
}

const SCOPE_NAME = { systemDefaults: 'system defaults', user: 'user', workspace: 'workspace', system: 'system', project: 'project', home: 'home' } as const;

export function describeSource(s: Source | null | undefined, home = ''): string {
  if (!s) return '';
  const at = s.path ? ` ${tilde(s.path, home)}` : '';
  switch (s.layer) {
    case 'settings':
      return `${s.scope ? SCOPE_NAME[s.scope] : ''} settings${at}`.trim();
    case 'dotenv':
      return `.env${at}`;
    case 'process':
      return 'environment';
    case 'cli':
      return 'command line';
    case 'initializationOptions':
      return 'editor (initializationOptions)';
    case 'builtin':
      return 'built in';
    case 'session':
      return 'this session';
    case 'remote':
      return 'provider list';
    default:
      return 'default';
  }
}

function table(rows: string[][], indent = '  '): string {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c))));
  return rows
    .map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c)))).join('  ').trimEnd())
    .join('\n');
}

const STATE_WORD = { signedIn: 'signed in', signedOut: 'signed out', expired: 'expired', pending: 'pending', error: 'error' } as const;

/** The status view as a person reads it. Pure, so that it can be tested without a terminal. */
export function renderStatus(v: StatusView, color: boolean, home = homedir()): string {
  const p = paint(color);
  const out: string[] = [];
  const c = v.config;
  out.push(`${p.bold('qwen-agent-server')} ${v.version}  ${p.dim(tilde(c.cwd, home))}`, '');

  out.push(p.bold('Settings files'));
  out.push(
    table(
      c.layers.map((l) => [
        SCOPE_NAME[l.scope],
        tilde(l.path, home),
        l.error ? p.red('error') : !l.exists ? p.dim('not found') : !l.trusted ? p.yellow('untrusted: not applied') : p.green('loaded'),
      ]),
    ),
  );
  out.push('');

  // Load order is precedence order: each name comes from the first file that sets it.
  out.push(`${p.bold('.env files')}${c.dotenvFiles.length === 0 ? `  ${p.dim('none found')}` : p.dim('  in load order; each name from the first that sets it')}`);
  for (const d of c.dotenvFiles) {
    out.push(`  ${tilde(d.path, home)}  ${p.dim(d.scope)}`);
    out.push(`    set: ${d.loaded.length > 0 ? d.loaded.join(', ') : p.dim('nothing')}`);
    if (d.shadowed.length > 0) out.push(p.yellow(`    not used (already set by the environment or an earlier file): ${d.shadowed.join(', ')}`));
    if (d.excluded.length > 0) out.push(p.yellow(`    not loaded (excluded for this file): ${d.excluded.join(', ')}`));
  }
  out.push('');

  const envRows = Object.entries(c.env).map(([name, e]) => [name, e.redacted ?? e.value ?? '', p.dim(describeSource(e.source, home))]);
  if (envRows.length > 0) {
    out.push(p.bold('Environment'), table(envRows), '');
  }

  const settingRows = Object.entries(c.settings)
    .filter(([k]) => !k.startsWith('modelProviders.') && !k.startsWith('env.'))
    .map(([k, s]) => [k, typeof s.value === 'string' ? s.value : JSON.stringify(s.value), p.dim(describeSource(s.source, home))]);
  if (settingRows.length > 0) out.push(p.bold('Settings'), table(settingRows), '');

  if (v.auth) {
    const a = v.auth;
    out.push(`${p.bold('Sign-in')}  active: ${a.active ? p.cyan(a.active) : p.dim('none')}${a.activeSource ? p.dim(` (${describeSource(a.activeSource, home)})`) : ''}`);
    out.push(
      table(
        a.methods.map((m) => [
          m.state === 'signedIn' ? p.green('✓') : m.state === 'error' || m.state === 'expired' ? p.red('✗') : p.dim('·'),
          m.label,
          STATE_WORD[m.state],
          m.credential ? `${m.credential.redacted} ${p.dim(describeSource(m.credential.source, home))}` : (m.message ?? ''),
        ]),
      ),
    );
    out.push('');
  }

  out.push(p.bold('Models'));
  if (v.models.groups.length === 0) out.push(p.dim('  none configured'));
  for (const g of v.models.groups) {
    out.push(`  ${p.bold(g.label)}`);
    out.push(
      table(
        g.models.map((m) => [
          m.selected ? p.cyan('●') : m.available ? p.green('✓') : p.red('✗'),
          m.id,
          m.name !== m.id ? m.name : '',
          m.available ? p.dim(describeSource(m.source, home)) : p.yellow(m.unavailableReason ?? 'unavailable'),
        ]),
        '    ',
      ),
    );
  }
  out.push('');
  const sel = v.models.selected;
  out.push(
    sel
      ? `${p.bold('Selected')}  ${p.cyan(sel.id)} (${sel.authType})  ${p.dim(`from ${describeSource(sel.source, home)}`)}`
      : `${p.bold('Selected')}  ${p.yellow('no model: sign in (qwen-oauth, a Coding Plan key or an API key) or set model.name')}`,
  );

  const notes = [...c.diagnostics.map((x) => `${tilde(x.path, home)}${x.range ? `:${x.range.start.line + 1}` : ''}: ${x.message}`), ...(c.warnings ?? []), ...(v.auth?.warnings ?? [])];
  if (notes.length > 0) {
    out.push('', p.bold('Problems'));
    for (const n of notes) out.push(p.yellow(`  ! ${n}`));
  }
  return `${out.join('\n')}\n`;
}

export async function runStatus(args: CliArgs): Promise<number> {
  const log = new Logger(args.logFile);
  const services = await createServices({
    processEnv: process.env,
    cwd: args.cwd ?? process.cwd(),
    overrides: {
      ...(args.model ? { model: { value: args.model, layer: 'cli' as const } } : {}),
      ...(args.authType ? { authType: { value: args.authType, layer: 'cli' as const } } : {}),
      ...(args.openaiApiKey ? { openaiApiKey: { value: args.openaiApiKey, layer: 'cli' as const } } : {}),
      ...(args.openaiBaseUrl ? { openaiBaseUrl: { value: args.openaiBaseUrl, layer: 'cli' as const } } : {}),
    },
    log,
    notifier: { notify: () => {} },
    canShowDocument: false,
    showDocument: () => {},
  });
  try {
    // The same last pass as every answer over the wire (connection/router.ts).
    const view: StatusView = scrubValue(
      {
        version: VERSION,
        config: decodeResult(await services.handlers['config/resolve']!({}, never())),
        auth: services.handlers['auth/status'] ? decodeResult(await services.handlers['auth/status']({}, never())) : null,
        models: decodeResult(await services.handlers['model/list']!({}, never())),
      },
      services.secrets(),
    );
    const color = args.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
    process.stdout.write(args.json ? `${JSON.stringify(view, null, 2)}\n` : renderStatus(view, color, services.state.graph.paths.home));
    return 0;
  } finally {
    await services.dispose();
  }
}

function never() {
  return { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
}
