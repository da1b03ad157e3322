import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { SERVER } from '../support/server.js';

const KEY = 'sk-status-canary-0123456789abcdef';
let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(() => sb.cleanup());

function status(args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [SERVER, 'status', ...args], { cwd: sb.project, env: { ...sb.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('qwen-agent-server status', () => {
  it('shows layers, the .env file, sign-in, models and the selection, with the key redacted and no colours off a terminal', async () => {
    await sb.write('home/.qwen/.env', `OPENAI_API_KEY=${KEY}\n`);
    await sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({ model: { name: 'gpt-x' }, security: { auth: { selectedType: 'openai' } }, modelProviders: { openai: [{ id: 'gpt-x', name: 'GPT X' }] } }),
    );
    const r = status();
    assert.equal(r.code, 0, r.err);
    for (const heading of ['Settings files', '.env file', 'Sign-in', 'Models', 'Selected']) assert.ok(r.out.includes(heading), heading);
    assert.ok(r.out.includes('~/.qwen/settings.json'));
    assert.match(r.out, /Selected\s+gpt-x \(openai\)\s+from user settings ~\/\.qwen\/settings\.json/);
    assert.ok(r.out.includes('sk-…cdef'));
    assert.ok(!r.out.includes(KEY));
    assert.ok(!r.out.includes('\x1b['), 'no colour codes when stdout is not a terminal');
  });

  it('--json prints the same view as JSON, and --model shows as a command-line choice', () => {
    const r = status(['--json', '--model', 'coder-model', '--auth-type', 'qwen-oauth']);
    assert.equal(r.code, 0, r.err);
    const v = JSON.parse(r.out);
    assert.equal(v.models.selected.id, 'coder-model');
    assert.deepEqual(v.models.selected.source, { layer: 'cli' });
    assert.ok(Array.isArray(v.config.layers));
    assert.ok(Array.isArray(v.auth.methods));
  });

  it('a known key inside a base URL, a user-info password or a model name is redacted in the text and the --json view alike', async () => {
    await sb.write('home/.qwen/.env', `OPENAI_API_KEY=${KEY}\n`);
    await sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({
        model: { name: 'gpt-x' },
        security: { auth: { selectedType: 'openai' } },
        modelProviders: {
          openai: [
            { id: 'gpt-x', name: 'GPT X ${OPENAI_API_KEY}', baseUrl: `https://h.example/v1?key=${KEY}` },
            { id: 'gpt-y', baseUrl: 'https://me:hunter2-password@h.example/v1' },
          ],
        },
      }),
    );
    for (const args of [[], ['--json']]) {
      const r = status(args);
      assert.equal(r.code, 0, r.err);
      assert.ok(!r.out.includes(KEY), `the key is in the ${args.length ? 'JSON' : 'text'} view`);
      assert.ok(!r.out.includes('hunter2-password'), `the password is in the ${args.length ? 'JSON' : 'text'} view`);
    }
  });

  it('a corrupt settings file is a readable problem line, not a stack trace', async () => {
    await sb.write('home/.qwen/settings.json', '{ "model": ');
    const r = status();
    assert.equal(r.code, 0);
    assert.match(r.out, /Problems[\s\S]*settings\.json:1: JSON error/);
    assert.ok(!/\bat .*\.js:\d+/.test(r.out + r.err), 'no stack trace');
  });

  it('a bad flag says what is wrong and exits 2', () => {
    const r = spawnSync(process.execPath, [SERVER, '--auth-type', 'nope'], { encoding: 'utf8', env: sb.env });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--auth-type must be one of/);
  });
});
