import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { parse as parseDotenv } from 'dotenv';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { assertNoSecret, cli, REPORTER, type Run, sha256 } from './fixtures/cli.js';

const KEY = 'sk-env-canary-0123456789abcdef';
const OTHER = 'sk-env-other-canary-fedcba9876543210';
/** Everything a shell could take for syntax: quotes of both kinds, $, backslashes, a backtick, a newline, a space. */
const NASTY = `sk-it's "q" $HOME \\ \\n \`id\` end\n2nd-line`;
const TOKEN = 'qwen-env-access-token-canary-0123456789';
const SECRETS = [KEY, OTHER, NASTY, TOKEN];
const URL_ = 'http://127.0.0.1:9/v1';

let sb: Sandbox;
const runs: Run[] = [];
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  assertNoSecret(runs.splice(0).map((r) => r.err), SECRETS);
  await sb.cleanup();
});

async function env(args: string[], opts: Parameters<typeof cli>[2] = {}) {
  const r = await cli(sb, ['env', ...args], opts);
  runs.push(r);
  return r;
}

async function openaiModel(extra: Record<string, unknown> = {}) {
  await sb.write(
    'home/.qwen/settings.json',
    JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'gpt-x' }, modelProviders: { openai: [{ id: 'gpt-x', baseUrl: URL_, ...extra }] } }),
  );
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The digests the reporter saw after a shell read `file`. */
function throughShell(shell: string[], file: string): Record<string, string | null> {
  rmSync(sb.path('report.json'), { force: true });
  const r = spawnSync(shell[0]!, [...shell.slice(1), `${process.execPath} ${REPORTER} --report ${sb.path('report.json')}`, file], {
    env: { PATH: process.env.PATH, HOME: sb.home },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(sb.path('report.json'), 'utf8')).env;
}

/** fish's rules for a single-quoted word: `\'` and `\\` are escapes, everything else is literal. */
function fishWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    let w = '';
    if (line[i] === "'") {
      i++;
      while (line[i] !== "'") {
        if (i >= line.length) throw new Error('unterminated quote');
        if (line[i] === '\\' && (line[i + 1] === "'" || line[i + 1] === '\\')) i++;
        w += line[i++];
      }
      i++;
    } else while (i < line.length && line[i] !== ' ') w += line[i++];
    words.push(w);
  }
  return words;
}

describe('qwen-agent-server env', () => {
  it('sh and fish read back exactly the values, whatever characters the key holds', async () => {
    await openaiModel();
    const r = await env(['--format', 'sh'], { env: { OPENAI_API_KEY: NASTY } });
    assert.equal(r.code, 0, r.err);
    writeFileSync(sb.path('vars.sh'), r.out);
    const sh = throughShell(['sh', '-c', '. "$1" && exec $0'], sb.path('vars.sh'));
    assert.equal(sh.OPENAI_API_KEY, sha256(NASTY));
    assert.equal(sh.OPENAI_BASE_URL, sha256(URL_));
    assert.equal(sh.OPENAI_MODEL, sha256('gpt-x'));

    const f = await env(['--format', 'fish'], { env: { OPENAI_API_KEY: NASTY } });
    assert.equal(f.code, 0, f.err);
    writeFileSync(sb.path('vars.fish'), f.out);
    // fish's quoting rules, applied to each `set -gx NAME 'value'` statement; then fish itself, where installed.
    const statements = f.out.split(/\n(?=set )/);
    const vars = Object.fromEntries(statements.map((s) => fishWords(s.replace(/\n$/, '')).slice(2)));
    assert.equal(vars.OPENAI_API_KEY, NASTY);
    if (has('fish')) {
      const fish = throughShell(['fish', '-c', 'source $argv[2]; and eval $argv[1]'], sb.path('vars.fish'));
      assert.equal(fish.OPENAI_API_KEY, sha256(NASTY));
      assert.equal(fish.OPENAI_BASE_URL, sha256(URL_));
    }
  });

  it('--format json is one object; dotenv is read back by dotenv; each names the variables of its protocol', async () => {
    await openaiModel();
    await sb.write('home/.qwen/.env', `OPENAI_API_KEY=${KEY}\n`);
    const j = await env(['--format', 'json']);
    assert.equal(j.code, 0, j.err);
    assert.deepEqual(JSON.parse(j.out), { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: URL_, OPENAI_API_BASE: URL_, OPENAI_MODEL: 'gpt-x' });
    assert.equal(j.out.trim().split('\n').length, 1);
    const d = await env(['--format', 'dotenv']);
    assert.equal(d.code, 0, d.err);
    assert.deepEqual(parseDotenv(d.out), JSON.parse(j.out));
    // A value dotenv cannot hold is refused, not mangled.
    const bad = await env(['--format', 'dotenv'], { env: { OPENAI_API_KEY: NASTY } });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /cannot be written as a \.env line/);
    assert.equal(bad.out, '');
  });

  it('coder-model: the OAuth token as OPENAI_API_KEY and its resource_url as the base URL', async () => {
    await sb.write('home/.qwen/settings.json', JSON.stringify({ security: { auth: { selectedType: 'qwen-oauth' } } }));
    await sb.write('home/.qwen/oauth_creds.json', JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', resource_url: 'portal.example', expiry_date: Date.now() + 3600_000 }));
    const r = await env(['--format', 'json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), {
      OPENAI_API_KEY: TOKEN,
      OPENAI_BASE_URL: 'https://portal.example/v1',
      OPENAI_API_BASE: 'https://portal.example/v1',
      OPENAI_MODEL: 'coder-model',
    });
  });

  it('what a person should know goes to stderr, never into the output: a shadowed key, an envKey that falls through', async () => {
    await openaiModel({ envKey: 'MY_GPT_KEY' });
    await sb.write('home/.qwen/.env', `OPENAI_API_KEY=${OTHER}\n`);
    const r = await env(['--format', 'json'], { env: { OPENAI_API_KEY: KEY } });
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).OPENAI_API_KEY, KEY, 'the environment wins over ~/.qwen/.env, as for Qwen Code');
    assert.match(r.err, /note: MY_GPT_KEY is not set: the key of OPENAI_API_KEY \(from your environment\) is handed over/);
    assert.match(r.err, /note: OPENAI_API_KEY comes from your environment, so the one in ~\/\.qwen\/\.env is not used/);
  });

  it('refusals, each one sentence on stderr, nothing on stdout, exit 1: unknown model, nothing selected, signed out, untrusted base URL', async () => {
    await openaiModel();
    await sb.write('home/.qwen/.env', `OPENAI_API_KEY=${KEY}\n`);
    const unknown = await env(['--model', 'no-such-model']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /there is no model "no-such-model"[\s\S]*status lists the models/);

    const signedOut = await env(['--model', 'coder-model']);
    assert.equal(signedOut.code, 1);
    assert.match(signedOut.err, /not signed in to Qwen OAuth[\s\S]*sign in from your editor/);

    await sb.write('home/.qwen/settings.json', '{}');
    const none = await env([]);
    assert.equal(none.code, 1);
    assert.match(none.err, /no model is selected here/);

    await sb.write(
      'work/project/.env',
      // The workspace's .env names a base URL; the key comes from the home folder.
      'OPENAI_BASE_URL=http://127.0.0.1:7/v1\n',
    );
    await sb.write('home/.qwen/settings.json', JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'unlisted' } }));
    const evil = await env([]);
    assert.equal(evil.code, 1);
    assert.match(evil.err, /refused: 127\.0\.0\.1:7 is named only by this folder's settings or \.env/);
    for (const r of [unknown, signedOut, none, evil]) assert.equal(r.out, '');
  });

  it('--cwd reads that folder; a bad --format is a usage error; --help lists the commands', async () => {
    await sb.write(
      'work/other/.qwen/settings.json',
      JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'elsewhere' }, modelProviders: { openai: [{ id: 'elsewhere', baseUrl: URL_ }] } }),
    );
    await sb.write('home/.qwen/trustedFolders.json', JSON.stringify({ [sb.path('work/other')]: 'TRUST_FOLDER' }));
    const r = await env(['--cwd', sb.path('work/other'), '--format', 'json'], { env: { OPENAI_API_KEY: KEY } });
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).OPENAI_MODEL, 'elsewhere');
    const bad = await env(['--format', 'csh']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--format must be one of sh, fish, json, dotenv/);
    const help = await cli(sb, ['--help']);
    assert.equal(help.code, 0);
    for (const c of ['token', 'env [--format F]', 'exec -- CMD']) assert.ok(help.out.includes(`qwen-agent-server ${c}`), c);
  });
});
