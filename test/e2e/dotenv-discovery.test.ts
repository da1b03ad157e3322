import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();

async function resolveIn(cwd: string) {
  await mkdir(cwd, { recursive: true });
  const srv = await ctx.start({ cwd });
    return srv.request('config/resolve');
}

describe('.env discovery', () => {
  it('walks up from a nested working directory', async () => {
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=nested\n');
    const c = await resolveIn(ctx.sb.path('work/project/src/deep/er'));
    assert.equal(c.dotenv.path, ctx.sb.path('work/project/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'nested');
  });

  it('prefers .qwen/.env over .env in the same folder', async () => {
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=plain\n');
    await ctx.sb.write('work/project/.qwen/.env', 'GEMINI_MODEL=qwen-folder\n');
    const c = await resolveIn(ctx.sb.project);
    assert.equal(c.dotenv.path, ctx.sb.path('work/project/.qwen/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'qwen-folder');
  });

  it('a nearer folder wins over a farther one', async () => {
    await ctx.sb.write('work/.env', 'GEMINI_MODEL=far\n');
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=near\n');
    const c = await resolveIn(ctx.sb.project);
    assert.equal(c.env.GEMINI_MODEL.value, 'near');
  });

  it('loads only the first file found', async () => {
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=project\n');
    await ctx.sb.write('home/.qwen/.env', 'ANTHROPIC_MODEL=home-only\n');
    const c = await resolveIn(ctx.sb.project);
    assert.equal(c.env.GEMINI_MODEL.value, 'project');
    assert.equal(c.env.ANTHROPIC_MODEL, undefined, 'the home file is not merged in');
  });

  it('falls back to ~/.qwen/.env, then ~/.env', async () => {
    await ctx.sb.write('home/.env', 'GEMINI_MODEL=home-plain\n');
    let c = await resolveIn(ctx.sb.project);
    assert.equal(c.dotenv.path, ctx.sb.path('home/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'home-plain');
    await ctx.sb.write('home/.qwen/.env', 'GEMINI_MODEL=home-qwen\n');
    c = await resolveIn(ctx.sb.project);
    assert.equal(c.dotenv.path, ctx.sb.path('home/.qwen/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'home-qwen');
  });

  it('excludes DEBUG and DEBUG_MODE from a project .env only', async () => {
    await ctx.sb.write('work/project/.env', 'DEBUG=1\nDEBUG_MODE=1\nGEMINI_MODEL=x\n');
    let c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenv.excluded.sort(), ['DEBUG', 'DEBUG_MODE']);
    assert.deepEqual(c.dotenv.loaded, ['GEMINI_MODEL']);
    // The same names in a .qwen folder's file are loaded.
    await ctx.sb.write('work/project/.qwen/.env', 'DEBUG=1\n');
    c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenv.excluded, []);
    assert.deepEqual(c.dotenv.loaded, ['DEBUG']);
  });

  it('home files are exempt from the exclusions, and a user list replaces the default', async () => {
    await ctx.sb.write('home/.env', 'DEBUG=1\n');
    let c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenv.loaded, ['DEBUG']);
    await ctx.sb.write('work/project/.env', 'DEBUG=1\nGEMINI_MODEL=m\n');
    await ctx.sb.write('home/.qwen/settings.json', '{ "advanced": { "excludedEnvVars": ["GEMINI_MODEL"] } }');
    c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenv.loaded, ['DEBUG']);
    assert.deepEqual(c.dotenv.excluded, ['GEMINI_MODEL']);
  });
});
