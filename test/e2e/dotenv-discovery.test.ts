import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { startServer, type TestServer } from '../support/server.js';

let sb: Sandbox;
let servers: TestServer[] = [];
beforeEach(async () => {
  sb = await makeSandbox();
  servers = [];
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sb.cleanup();
});

async function resolveIn(cwd: string) {
  await mkdir(cwd, { recursive: true });
  const srv = await startServer(sb, { cwd });
  servers.push(srv);
  return srv.request('config/resolve');
}

describe('.env discovery', () => {
  it('walks up from a nested working directory', async () => {
    await sb.write('work/project/.env', 'GEMINI_MODEL=nested\n');
    const c = await resolveIn(sb.path('work/project/src/deep/er'));
    assert.equal(c.dotenv.path, sb.path('work/project/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'nested');
  });

  it('prefers .qwen/.env over .env in the same folder', async () => {
    await sb.write('work/project/.env', 'GEMINI_MODEL=plain\n');
    await sb.write('work/project/.qwen/.env', 'GEMINI_MODEL=qwen-folder\n');
    const c = await resolveIn(sb.project);
    assert.equal(c.dotenv.path, sb.path('work/project/.qwen/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'qwen-folder');
  });

  it('a nearer folder wins over a farther one', async () => {
    await sb.write('work/.env', 'GEMINI_MODEL=far\n');
    await sb.write('work/project/.env', 'GEMINI_MODEL=near\n');
    const c = await resolveIn(sb.project);
    assert.equal(c.env.GEMINI_MODEL.value, 'near');
  });

  it('loads only the first file found', async () => {
    await sb.write('work/project/.env', 'GEMINI_MODEL=project\n');
    await sb.write('home/.qwen/.env', 'ANTHROPIC_MODEL=home-only\n');
    const c = await resolveIn(sb.project);
    assert.equal(c.env.GEMINI_MODEL.value, 'project');
    assert.equal(c.env.ANTHROPIC_MODEL, undefined, 'the home file is not merged in');
  });

  it('falls back to ~/.qwen/.env, then ~/.env', async () => {
    await sb.write('home/.env', 'GEMINI_MODEL=home-plain\n');
    let c = await resolveIn(sb.project);
    assert.equal(c.dotenv.path, sb.path('home/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'home-plain');
    await sb.write('home/.qwen/.env', 'GEMINI_MODEL=home-qwen\n');
    c = await resolveIn(sb.project);
    assert.equal(c.dotenv.path, sb.path('home/.qwen/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'home-qwen');
  });

  it('excludes DEBUG and DEBUG_MODE from a project .env only', async () => {
    await sb.write('work/project/.env', 'DEBUG=1\nDEBUG_MODE=1\nGEMINI_MODEL=x\n');
    let c = await resolveIn(sb.project);
    assert.deepEqual(c.dotenv.excluded.sort(), ['DEBUG', 'DEBUG_MODE']);
    assert.deepEqual(c.dotenv.loaded, ['GEMINI_MODEL']);
    // The same names in a .qwen folder's file are loaded.
    await sb.write('work/project/.qwen/.env', 'DEBUG=1\n');
    c = await resolveIn(sb.project);
    assert.deepEqual(c.dotenv.excluded, []);
    assert.deepEqual(c.dotenv.loaded, ['DEBUG']);
  });

  it('home files are exempt from the exclusions, and a user list replaces the default', async () => {
    await sb.write('home/.env', 'DEBUG=1\n');
    let c = await resolveIn(sb.project);
    assert.deepEqual(c.dotenv.loaded, ['DEBUG']);
    await sb.write('work/project/.env', 'DEBUG=1\nGEMINI_MODEL=m\n');
    await sb.write('home/.qwen/settings.json', '{ "advanced": { "excludedEnvVars": ["GEMINI_MODEL"] } }');
    c = await resolveIn(sb.project);
    assert.deepEqual(c.dotenv.loaded, ['DEBUG']);
    assert.deepEqual(c.dotenv.excluded, ['GEMINI_MODEL']);
  });
});
