/**
 * One differential check: a scenario's files, environment and flags are given
 * to our server and to the real Qwen Code, each in the same fresh sandbox. The
 * server is asked what will be used (model/list's selection and its model
 * entry, auth/status, config/resolve); Qwen Code is run once with `-p` and
 * what it actually sent to the recording provider is the answer. Credentials
 * are compared in their redacted forms (first 3 and last 4 characters), so
 * every key a scenario makes ends in a suffix of its own.
 */
import { mkdir, symlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod/mini';
import { redact } from '../../src/protocol/redact.js';
import type { Recorded } from '../peers/recording-provider.js';
import { QWEN_PROMPT, type QwenPeers, type QwenRun, runQwen, startQwenPeers, writeQuietDefaults } from '../support/qwen-code.js';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { startServer } from '../support/server.js';

/** Paths under the sandbox root where Qwen Code and the server look. */
export const FILES = {
  user: 'home/.qwen/settings.json',
  workspace: 'work/project/.qwen/settings.json',
  system: 'etc/settings.json',
  systemDefaults: 'etc/system-defaults.json',
  homeQwenEnv: 'home/.qwen/.env',
  homeEnv: 'home/.env',
  projectEnv: 'work/project/.env',
  projectQwenEnv: 'work/project/.qwen/.env',
  oauthCreds: 'home/.qwen/oauth_creds.json',
  trustedFolders: 'home/.qwen/trustedFolders.json',
} as const;

export interface ScenarioContext {
  /** The recording provider on loopback: an OpenAI-style base URL (`http://127.0.0.1:PORT/v1`). */
  url: string;
  /** A fresh key for this scenario: `prefix` + random + a 4-character suffix no other key has. */
  key(label: string, prefix?: string): string;
  /** `https://<label>.provider.test/v1`: a host of its own, answered through the proxy. */
  host(label: string, path?: string): string;
  /** A sandbox-relative path made absolute (for trust rules, which name folders by absolute path). */
  path(relative: string): string;
}

export interface ScenarioSetup {
  /** Sandbox-relative path (see FILES) → text, or a value written as JSON. */
  files?: Record<string, string | object>;
  /** The process environment both programs start with (on top of the sandbox's). */
  env?: Record<string, string>;
  /** Qwen Code's flags; the server gets the same (`-m` as `--model`). */
  args?: string[];
  /** Symbolic links to make: sandbox-relative link → sandbox-relative target. */
  links?: Record<string, string>;
  /** The folder both programs start in (the server's workspace root), sandbox-relative; the project by default. */
  cwd?: string;
}

export interface Scenario {
  name: string;
  /** The points of issue 11 ("What differs today") that the scenario checks. */
  points?: number[];
  /** Set while the server disagrees with Qwen Code: what differs. The test is then `it.todo`. */
  todo?: string;
  setup(ctx: ScenarioContext): ScenarioSetup;
}

/** What a program will do: run a model (where, with which key), or refuse. */
export interface Verdict {
  runs: boolean;
  /** Why it refuses (informative only: the wording is each program's own). */
  reason?: string;
  authType?: string;
  model?: string;
  baseUrl?: string;
  /** The credential, redacted, and which scenario key that is. */
  credential?: string;
}

export interface Outcome {
  qwen: Verdict;
  server: Verdict;
  /** The fields that differ, as sentences (empty when the two agree). */
  differences: string[];
  run: QwenRun;
  /** The hosts the proxy answered that no scenario or Qwen Code default accounts for, and what the guard refused. */
  egress: string[];
}

// ---- keys -----------------------------------------------------------------------

let keyCounter = 0;
function makeKey(prefix: string): string {
  const suffix = (++keyCounter).toString(36).padStart(4, '0');
  const random = Math.random().toString(36).slice(2, 12).padEnd(10, 'x');
  return `${prefix}${random}${suffix}`;
}

// ---- what the server says ---------------------------------------------------------

const SourceSchema = z.looseObject({ layer: z.string() });
const ModelEntry = z.looseObject({
  id: z.string(),
  authType: z.string(),
  baseUrl: z.optional(z.string()),
  envKey: z.optional(z.string()),
  available: z.boolean(),
  unavailableReason: z.optional(z.string()),
  selected: z.boolean(),
});
const ModelList = z.looseObject({
  selected: z.nullable(z.looseObject({ authType: z.string(), id: z.string(), baseUrl: z.optional(z.string()), source: SourceSchema })),
  groups: z.array(z.looseObject({ authType: z.string(), models: z.array(ModelEntry) })),
});
const AuthStatus = z.looseObject({
  active: z.nullable(z.string()),
  methods: z.array(
    z.looseObject({
      authType: z.string(),
      envKey: z.optional(z.string()),
      state: z.string(),
      credential: z.optional(z.looseObject({ redacted: z.string() })),
    }),
  ),
});
const Resolved = z.looseObject({
  env: z.record(z.string(), z.looseObject({ redacted: z.optional(z.string()), value: z.optional(z.string()) })),
});

/** The key variable a model uses when its entry names none (PROTOCOL.md, api-key logins). */
const DEFAULT_ENV_KEY: Record<string, string> = {
  openai: 'OPENAI_API_KEY',
  'openai-responses': 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
  'vertex-ai': 'GOOGLE_API_KEY',
};

/** Qwen Code's flags as the server spells them. */
function serverArgs(args: string[]): string[] {
  return args.map((a) => (a === '-m' ? '--model' : a));
}

/** What the server says will be used, started in the sandbox with the scenario's flags and environment. */
export async function askServer(sb: Sandbox, setup: ScenarioSetup, peers: QwenPeers): Promise<Verdict> {
  const srv = await startServer(sb, {
    args: serverArgs(setup.args ?? []),
    env: { ...peers.env(), ...setup.env },
    ...(setup.cwd !== undefined ? { cwd: sb.path(setup.cwd) } : {}),
  });
  try {
    const [list, status, resolved] = await Promise.all([
      srv.request('model/list').then((v) => ModelList.parse(v)),
      srv.request('auth/status').then((v) => AuthStatus.parse(v)),
      srv.request('config/resolve').then((v) => Resolved.parse(v)),
    ]);
    const sel = list.selected;
    if (!sel) return { runs: false, reason: `no model selected (auth/status active: ${status.active ?? 'none'})` };
    const models = list.groups.flatMap((g) => g.models).filter((m) => m.authType === sel.authType && m.id === sel.id);
    const model = models.find((m) => m.selected) ?? models.find((m) => m.baseUrl === sel.baseUrl) ?? models[0];
    if (!model) return { runs: false, reason: `the selection ${sel.authType}/${sel.id} is in no group` };
    if (!model.available) return { runs: false, reason: model.unavailableReason ?? 'unavailable' };
    const verdict: Verdict = { runs: true, authType: sel.authType, model: sel.id };
    const baseUrl = model.baseUrl ?? sel.baseUrl;
    if (baseUrl !== undefined) verdict.baseUrl = baseUrl;
    if (sel.authType === 'qwen-oauth') {
      const oauth = status.methods.find((m) => m.authType === 'qwen-oauth');
      if (oauth?.credential) verdict.credential = oauth.credential.redacted;
    } else {
      const envKey = model.envKey ?? DEFAULT_ENV_KEY[sel.authType] ?? '';
      const method = status.methods.find((m) => m.authType === sel.authType && m.envKey === envKey);
      const redacted = method?.credential?.redacted ?? resolved.env[envKey]?.redacted;
      if (redacted !== undefined) verdict.credential = redacted;
    }
    return verdict;
  } finally {
    await srv.close();
  }
}

// ---- what Qwen Code did ---------------------------------------------------------------

/** The auth type a request's wire format and headers show. */
function authTypeOf(r: Recorded): string {
  switch (r.operation) {
    case 'openai.chat':
      return r.headers['x-dashscope-authtype'] === 'qwen-oauth' ? 'qwen-oauth' : 'openai';
    case 'openai.responses':
      return 'openai-responses';
    case 'anthropic.messages':
      return 'anthropic';
    case 'gemini.generate':
    case 'gemini.stream':
      return /\/publishers\//.test(r.path) ? 'vertex-ai' : 'gemini';
    default:
      return r.operation;
  }
}

const CHAT: ReadonlySet<Recorded['operation']> = new Set(['openai.chat', 'openai.responses', 'anthropic.messages', 'gemini.generate', 'gemini.stream']);

/** The turn that carried our prompt (Qwen Code also sends side requests, e.g. memory extraction). */
export function mainRequest(run: QwenRun): Recorded | undefined {
  const chats = run.requests.filter((r) => CHAT.has(r.operation));
  return chats.find((r) => r.userText.includes(QWEN_PROMPT)) ?? chats[0];
}

/** What Qwen Code did: the model, base URL and key of its main request, or why it sent none. */
export function observe(run: QwenRun): Verdict {
  const main = mainRequest(run);
  if (!main) {
    const errorLine = run.stderr.split('\n').find((l) => /^\w*Error: /.test(l));
    const reason = run.result?.error?.message ?? (run.timedOut ? 'timed out' : (errorLine ?? `exit ${run.code}`));
    return { runs: false, reason };
  }
  const verdict: Verdict = { runs: true, authType: authTypeOf(main), baseUrl: main.baseUrl };
  if (main.model !== undefined) verdict.model = main.model;
  if (main.credential) verdict.credential = redact(main.credential.value);
  return verdict;
}

// ---- comparing -------------------------------------------------------------------------

/** Trailing slashes, and the API version the SDKs add themselves (Anthropic `/v1`, Gemini `/v1beta`), don't matter. */
function sameBaseUrl(a: string | undefined, b: string | undefined, authType: string | undefined): boolean {
  const norm = (u: string | undefined) => {
    if (u === undefined) return undefined;
    let s = u.trim().replace(/\/+$/, '');
    try {
      const url = new URL(s);
      s = `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
    } catch {
      // Not a URL: compare the text.
    }
    if (authType === 'anthropic') s = s.replace(/\/v1$/, '');
    if (authType === 'gemini' || authType === 'vertex-ai') s = s.replace(/\/(v1beta1|v1beta|v1alpha|v1)$/, '');
    return s;
  };
  return norm(a) === norm(b);
}

/** The differences between what Qwen Code did and what the server says, as sentences. */
export function compare(qwen: Verdict, server: Verdict, keyLabel: (redacted: string | undefined) => string = (r) => r ?? 'no key'): string[] {
  if (!qwen.runs && !server.runs) return [];
  if (qwen.runs !== server.runs) {
    return qwen.runs
      ? [`Qwen Code ran ${qwen.authType}/${qwen.model} at ${qwen.baseUrl} with ${keyLabel(qwen.credential)}; the server says it will not run: ${server.reason}`]
      : [`Qwen Code refused (${qwen.reason}); the server says ${server.authType}/${server.model} at ${server.baseUrl ?? '(no base URL)'} with ${keyLabel(server.credential)}`];
  }
  const out: string[] = [];
  if (qwen.authType !== server.authType) out.push(`auth type: Qwen Code ${qwen.authType}, the server ${server.authType}`);
  if (qwen.model !== server.model) out.push(`model: Qwen Code ${qwen.model}, the server ${server.model}`);
  if (!sameBaseUrl(qwen.baseUrl, server.baseUrl, qwen.authType)) out.push(`base URL: Qwen Code ${qwen.baseUrl}, the server ${server.baseUrl ?? '(none)'}`);
  if (qwen.credential !== server.credential) out.push(`key: Qwen Code ${keyLabel(qwen.credential)}, the server ${keyLabel(server.credential)}`);
  return out;
}

/** Hosts Qwen Code goes to by default (QWEN-FACTS); any other non-`.test` host the proxy saw is egress. */
const DEFAULT_HOSTS = new Set([
  'dashscope.aliyuncs.com',
  'dashscope-intl.aliyuncs.com',
  'coding.dashscope.aliyuncs.com',
  'coding-intl.dashscope.aliyuncs.com',
  'api.openai.com',
  'api.anthropic.com',
  'generativelanguage.googleapis.com',
  'aiplatform.googleapis.com',
]);

export function unexpectedEgress(run: QwenRun): string[] {
  const hosts = run.hosts.filter((h) => !h.endsWith('.test') && !DEFAULT_HOSTS.has(h)).map((h) => `proxy asked for ${h}`);
  return [...hosts, ...run.blocked.map((b) => `guard refused ${b}`)];
}

/** Runs one scenario against both programs in one fresh sandbox. */
export async function runScenario(s: Scenario): Promise<Outcome> {
  const [sb, peers] = await Promise.all([makeSandbox(), startQwenPeers()]);
  try {
    const labels = new Map<string, string>();
    const ctx: ScenarioContext = {
      url: peers.provider.url,
      key(label, prefix = 'sk-') {
        const k = makeKey(prefix);
        labels.set(redact(k), label);
        return k;
      },
      host: (label, path = '/v1') => `https://${label}.provider.test${path}`,
      path: (relative) => sb.path(relative),
    };
    const setup = s.setup(ctx);
    const { [FILES.systemDefaults]: defaults, ...files } = setup.files ?? {};
    if (typeof defaults === 'string') throw new Error('give system defaults as an object: they are merged with the quiet defaults');
    await writeQuietDefaults(sb, defaults as Record<string, unknown> | undefined);
    for (const [path, content] of Object.entries(files)) {
      await sb.write(path, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
    }
    for (const [link, target] of Object.entries(setup.links ?? {})) {
      await mkdir(dirname(sb.path(link)), { recursive: true });
      await symlink(sb.path(target), sb.path(link));
    }
    // The server first: Qwen Code may rewrite what it reads (migrations, a reset workspace file).
    const server = await askServer(sb, setup, peers);
    const run = await runQwen(sb, { peers, args: setup.args ?? [], env: setup.env ?? {}, ...(setup.cwd !== undefined ? { cwd: sb.path(setup.cwd) } : {}) });
    const qwen = observe(run);
    const keyLabel = (r: string | undefined) => (r === undefined ? 'no key' : `${r} (${labels.get(r) ?? 'not a scenario key'})`);
    return { qwen, server, differences: compare(qwen, server, keyLabel), run, egress: unexpectedEgress(run) };
  } finally {
    await peers.close();
    await sb.cleanup();
  }
}

/** A readable account of one outcome, for assertion messages and the report. */
export function describeOutcome(o: Outcome): string {
  const v = (x: Verdict) => (x.runs ? `${x.authType}/${x.model} at ${x.baseUrl ?? '(no base URL)'} with ${x.credential ?? 'no key'}` : `refuses: ${x.reason}`);
  return [`Qwen Code: ${v(o.qwen)} (${o.run.ms} ms, exit ${o.run.code})`, `server:    ${v(o.server)}`, ...o.differences.map((d) => `  - ${d}`)].join('\n');
}
