/**
 * A workspace root that is a symbolic link (an editor opened the link):
 * Qwen Code 0.24.4 judges trust and walks up for `.env` files from the real
 * folder, keeps the workspace settings file at the path as given, and has no
 * workspace settings when the real folder is home (settings.ts loadSettings,
 * environment.ts findEnvFiles, path-comparison.ts).
 */
import assert from 'node:assert/strict';
import { mkdir, symlink } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();

/** `work/link` → `elsewhere/real`; the server started with the link as its root. */
async function linkedProject() {
  const real = ctx.sb.path('elsewhere/real');
  const link = ctx.sb.path('work/link');
  await mkdir(real, { recursive: true });
  await symlink(real, link);
  return { real, link };
}

const trustOn = () => ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ security: { folderTrust: { enabled: true } } }));
const rules = (r: Record<string, string>) => ctx.sb.write('home/.qwen/trustedFolders.json', JSON.stringify(r));

describe('a symlinked workspace root', () => {
  it('walks up for .env files from the real folder, not from the link; the workspace settings file keeps the path as given', async () => {
    const { link } = await linkedProject();
    await ctx.sb.write('elsewhere/.env', 'GEMINI_MODEL=real-parent\n');
    await ctx.sb.write('work/.env', 'GEMINI_MODEL=link-parent\n');
    await ctx.sb.write('elsewhere/real/.qwen/settings.json', '{ "model": { "name": "from-workspace" } }');
    const c = await (await ctx.start({ cwd: link })).request('config/resolve');
    assert.equal(c.env.GEMINI_MODEL.value, 'real-parent');
    assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('elsewhere/.env')]);
    assert.equal(c.cwd, link);
    assert.equal(c.layers.find((l: any) => l.scope === 'workspace').path, `${link}/.qwen/settings.json`);
    assert.equal(c.settings['model.name'].value, 'from-workspace');
  });

  it('is trusted by a rule on its real folder, or on the link itself: its settings and .env apply', async () => {
    const { link, real } = await linkedProject();
    await trustOn();
    await ctx.sb.write(`${real}/.env`, 'GEMINI_MODEL=project\n');
    await ctx.sb.write(`${real}/.qwen/settings.json`, '{ "model": { "name": "from-workspace" } }');
    for (const rule of [real, link]) {
      await rules({ [rule]: 'TRUST_FOLDER' });
      const c = await (await ctx.start({ cwd: link })).request('config/resolve');
      assert.equal(c.layers.find((l: any) => l.scope === 'workspace').trusted, true, rule);
      assert.equal(c.env.GEMINI_MODEL.value, 'project', rule);
      assert.equal(c.settings['model.name'].value, 'from-workspace', rule);
    }
  });

  it('is not trusted by a TRUST_FOLDER that holds the link but not the real folder', async () => {
    const { link, real } = await linkedProject();
    await trustOn();
    await rules({ [ctx.sb.path('work')]: 'TRUST_FOLDER' });
    await ctx.sb.write(`${real}/.env`, 'GEMINI_MODEL=project\n');
    await ctx.sb.write('home/.env', 'GEMINI_MODEL=home\n');
    const c = await (await ctx.start({ cwd: link })).request('config/resolve');
    assert.equal(c.layers.find((l: any) => l.scope === 'workspace').trusted, false);
    assert.equal(c.env.GEMINI_MODEL.value, 'home');
  });

  it('that is home by its link has no workspace settings: they would be the user file again', async () => {
    const link = ctx.sb.path('work/home-link');
    await symlink(ctx.sb.home, link);
    await ctx.sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'from-user' }, modelProviders: { openai: [{ id: 'from-user', baseUrl: 'http://127.0.0.1:9/v1' }] } }),
    );
    const srv = await ctx.start({ cwd: link });
    const c = await srv.request('config/resolve');
    assert.deepEqual(c.layers.map((l: any) => l.scope).filter((s: string) => s === 'workspace'), []);
    assert.equal(c.settings['model.name'].source.scope, 'user');
    const err = await srv.requestError('model/select', { authType: 'openai', id: 'from-user', scope: 'workspace' });
    assert.equal(err.data?.code, 'ConfigInvalid');
  });
});
