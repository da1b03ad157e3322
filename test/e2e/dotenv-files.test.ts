/**
 * Qwen Code 0.24's `.env` loading as the server reports it: the first project
 * file and the home files, each name from the first file that sets it, empty
 * counting as unset; `${VAR}` in settings from the process and the home files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import { SERVER } from '../support/server.js';

const ctx = sandboxPerTest();
const HOME_KEY = 'sk-home-dotenv-key-7c1e0a9b';
const PROJECT_KEY = 'sk-project-dotenv-key-3d5f8e21';

const userSettings = (models: unknown[], more: Record<string, unknown> = {}) =>
  JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'm-a' }, modelProviders: { openai: models }, ...more });

async function start(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  if (opts.cwd) await mkdir(opts.cwd, { recursive: true });
  return ctx.start(opts);
}

function model(list: any, id: string) {
  return list.groups.flatMap((g: any) => g.models).find((m: any) => m.id === id);
}

describe('.env files (Qwen Code 0.24: the first project file and the home files)', () => {
  it('a key kept in ~/.qwen/.env makes a model usable in a project with its own .env: model/list, model/select, config/resolve', async () => {
    await ctx.sb.write('home/.qwen/settings.json', userSettings([{ id: 'm-a', baseUrl: 'http://127.0.0.1:9/v1', envKey: 'QAS_KEY_A' }]));
    await ctx.sb.write('home/.qwen/.env', `QAS_KEY_A=${HOME_KEY}\n`);
    await ctx.sb.write('work/project/.env', 'PROJECT_SETTING=x\n');
    const srv = await start();
    const list = await srv.request('model/list');
    assert.equal(model(list, 'm-a').available, true, JSON.stringify(model(list, 'm-a')));
    const sel = await srv.request('model/select', { authType: 'openai', id: 'm-a', scope: 'session' });
    assert.ok(!(sel.warnings ?? []).some((w: string) => /QAS_KEY_A/.test(w)), `no missing-key warning: ${JSON.stringify(sel.warnings)}`);
    const c = await srv.request('config/resolve');
    assert.deepEqual(c.env.QAS_KEY_A, { redacted: 'sk-…0a9b', source: { layer: 'dotenv', scope: 'home', path: ctx.sb.path('home/.qwen/.env') } });
    assert.deepEqual(
      c.dotenvFiles.map((f: any) => [f.path, f.scope, f.loaded]),
      [
        [ctx.sb.path('work/project/.env'), 'project', ['PROJECT_SETTING']],
        [ctx.sb.path('home/.qwen/.env'), 'home', ['QAS_KEY_A']],
      ],
    );
    assert.ok(!JSON.stringify(c).includes(HOME_KEY));
  });

  it('the walk stops at the home folder: a .env above it is never read', async () => {
    await ctx.sb.write('.env', 'GEMINI_MODEL=above-home\n');
    await ctx.sb.write('home/code/.env', 'ANTHROPIC_MODEL=under-home\n');
    const c = await (await start({ cwd: ctx.sb.path('home/code/proj') })).request('config/resolve');
    assert.equal(c.env.GEMINI_MODEL, undefined);
    assert.deepEqual(c.dotenvFiles.map((f: any) => [f.path, f.scope]), [[ctx.sb.path('home/code/.env'), 'project']]);
  });

  it('a name set empty counts as unset: a later file fills it, and so does .env for an empty process variable', async () => {
    await ctx.sb.write('home/.qwen/settings.json', userSettings([{ id: 'm-a', baseUrl: 'http://127.0.0.1:9/v1' }]));
    await ctx.sb.write('work/project/.env', `OPENAI_API_KEY=${PROJECT_KEY}\nOPENAI_MODEL=\n`);
    await ctx.sb.write('home/.env', 'OPENAI_MODEL=from-home\n');
    const srv = await start({ env: { OPENAI_API_KEY: '' } });
    const c = await srv.request('config/resolve');
    assert.deepEqual(c.env.OPENAI_API_KEY.source, { layer: 'dotenv', scope: 'project', path: ctx.sb.path('work/project/.env') });
    assert.equal(c.env.OPENAI_MODEL.value, 'from-home');
    const list = await srv.request('model/list');
    assert.equal(model(list, 'm-a').available, true, JSON.stringify(model(list, 'm-a')));
  });

  it('names that move config, trust or TLS are never taken from a project .env; loader names from no .env', async () => {
    await ctx.sb.write('work/project/.env', 'QWEN_HOME=/elsewhere\nGIT_SSH_COMMAND=/project-ssh\nNODE_OPTIONS=--require=/x.js\nGEMINI_MODEL=g\n');
    await ctx.sb.write('home/.qwen/.env', 'GIT_SSH_COMMAND=/home-ssh\nLD_PRELOAD=/y.so\n');
    const c = await (await start()).request('config/resolve');
    const [project, home] = c.dotenvFiles;
    assert.deepEqual(project.excluded, ['QWEN_HOME', 'GIT_SSH_COMMAND', 'NODE_OPTIONS']);
    assert.deepEqual(project.loaded, ['GEMINI_MODEL']);
    assert.deepEqual(home.loaded, ['GIT_SSH_COMMAND']);
    assert.deepEqual(home.excluded, ['LD_PRELOAD']);
    assert.equal(c.env.GIT_SSH_COMMAND.value, '/home-ssh');
    const at = (path: string, name: string) => c.diagnostics.find((d: any) => d.path === path && d.message.startsWith(`${name} is not loaded`));
    assert.ok(at(ctx.sb.path('work/project/.env'), 'QWEN_HOME'), JSON.stringify(c.diagnostics));
    assert.equal(at(ctx.sb.path('home/.qwen/.env'), 'LD_PRELOAD')?.range.start.line, 1);
  });

  it('a shadowed line is a diagnostic of its own file, naming the file that set it first', async () => {
    await ctx.sb.write('work/project/.qwen/.env', 'GEMINI_MODEL=project\n');
    await ctx.sb.write('home/.env', '# mine\nGEMINI_MODEL=home\n');
    const c = await (await start()).request('config/resolve');
    const d = c.diagnostics.find((x: any) => x.path === ctx.sb.path('home/.env'));
    assert.equal(d?.range.start.line, 1, JSON.stringify(c.diagnostics));
    assert.ok(d.message.includes(ctx.sb.path('work/project/.qwen/.env')), d.message);
  });

  it('in an untrusted folder only the home files load', async () => {
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ security: { folderTrust: { enabled: true } } }));
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=project\n');
    await ctx.sb.write('home/.env', 'ANTHROPIC_MODEL=home\n');
    const c = await (await start()).request('config/resolve');
    assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('home/.env')]);
    assert.equal(c.env.GEMINI_MODEL, undefined);
  });

  it('with QWEN_HOME: $QWEN_HOME/.env, then ~/.qwen/.env, then ~/.env', async () => {
    await ctx.sb.write('qh/.env', 'A_NAME=qwen-home\n');
    await ctx.sb.write('home/.qwen/.env', 'A_NAME=legacy\nB_NAME=legacy\n');
    await ctx.sb.write('home/.env', 'C_NAME=plain\n');
    await ctx.sb.write('qh/settings.json', JSON.stringify({ env: { A_NAME: 'x', B_NAME: 'x', C_NAME: 'x' } }));
    const c = await (await start({ env: { QWEN_HOME: ctx.sb.path('qh') } })).request('config/resolve');
    assert.deepEqual(
      c.dotenvFiles.map((f: any) => [f.path, f.loaded]),
      [
        [ctx.sb.path('qh/.env'), ['A_NAME']],
        [ctx.sb.path('home/.qwen/.env'), ['B_NAME']],
        [ctx.sb.path('home/.env'), ['C_NAME']],
      ],
    );
  });
});

describe('${VAR} in settings (Qwen Code 0.24: the process, then the home .env files)', () => {
  it("expands a baseUrl from ~/.qwen/.env, never from the project's .env; a process variable wins, even empty", async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      userSettings([
        { id: 'm-a', baseUrl: 'http://127.0.0.1:9/${QAS_PATH}', envKey: 'QAS_KEY_A' },
        { id: 'm-b', baseUrl: '${QAS_PROJECT_BASE}', envKey: 'QAS_KEY_A' },
      ], { ui: { a: 'x${QAS_EMPTY}y' } }),
    );
    await ctx.sb.write('home/.qwen/.env', 'QAS_PATH=from-home\nQAS_EMPTY=home\n');
    await ctx.sb.write('work/project/.env', 'QAS_PROJECT_BASE=http://127.0.0.1:9/project\nQAS_PATH=from-project\n');
    const srv = await start({ env: { QAS_KEY_A: 'sk-process-key-55aa66bb', QAS_EMPTY: '' } });
    const list = await srv.request('model/list');
    assert.equal(model(list, 'm-a').baseUrl, 'http://127.0.0.1:9/from-home');
    assert.equal(model(list, 'm-b'), undefined, 'a baseUrl that stays ${QAS_PROJECT_BASE} is no URL: the model is dropped');
    assert.ok(list.selected && list.selected.baseUrl === 'http://127.0.0.1:9/from-home', JSON.stringify(list.selected));
    assert.equal((await srv.request('config/resolve')).settings['ui.a'].value, 'xy');
  });
});

describe('status shows every .env file loaded and what each set', () => {
  it('lists the project file and the home files in load order', async () => {
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=project\n');
    await ctx.sb.write('home/.qwen/.env', `OPENAI_API_KEY=${HOME_KEY}\nGEMINI_MODEL=home\n`);
    const r = spawnSync(process.execPath, [SERVER, 'status'], { cwd: ctx.sb.project, env: ctx.sb.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const block = r.stdout.slice(r.stdout.indexOf('.env files'));
    const project = block.indexOf(ctx.sb.path('work/project/.env'));
    const home = block.indexOf('~/.qwen/.env');
    assert.ok(project > 0 && home > project, block);
    assert.match(block.slice(project, home), /set: GEMINI_MODEL/);
    assert.match(block.slice(home), /set: OPENAI_API_KEY\n.*not used.*GEMINI_MODEL/);
    assert.ok(!r.stdout.includes(HOME_KEY));
  });
});
