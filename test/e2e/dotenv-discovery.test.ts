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
    assert.equal(c.dotenvFiles[0].path, ctx.sb.path('work/project/.env'));
    assert.equal(c.env.GEMINI_MODEL.value, 'nested');
  });

  it('prefers .qwen/.env over .env in the same folder', async () => {
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=plain\n');
    await ctx.sb.write('work/project/.qwen/.env', 'GEMINI_MODEL=qwen-folder\n');
    const c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('work/project/.qwen/.env')], 'one project file only');
    assert.equal(c.env.GEMINI_MODEL.value, 'qwen-folder');
  });

  it('a nearer folder wins over a farther one', async () => {
    await ctx.sb.write('work/.env', 'GEMINI_MODEL=far\n');
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=near\n');
    const c = await resolveIn(ctx.sb.project);
    assert.equal(c.env.GEMINI_MODEL.value, 'near');
  });

  it('loads the first project file and then the home files; a name the project lacks comes from home', async () => {
    await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=project\n');
    await ctx.sb.write('home/.qwen/.env', 'ANTHROPIC_MODEL=home-only\nGEMINI_MODEL=home-qwen\n');
    const c = await resolveIn(ctx.sb.project);
    assert.equal(c.env.GEMINI_MODEL.value, 'project');
    assert.equal(c.env.ANTHROPIC_MODEL.value, 'home-only');
    assert.deepEqual(c.env.ANTHROPIC_MODEL.source, { layer: 'dotenv', scope: 'home', path: ctx.sb.path('home/.qwen/.env') });
    assert.deepEqual(c.dotenvFiles, [
      { path: ctx.sb.path('work/project/.env'), scope: 'project', loaded: ['GEMINI_MODEL'], excluded: [], shadowed: [] },
      { path: ctx.sb.path('home/.qwen/.env'), scope: 'home', loaded: ['ANTHROPIC_MODEL'], excluded: [], shadowed: ['GEMINI_MODEL'] },
    ]);
  });

  it('loads ~/.qwen/.env before ~/.env, each name from the first that sets it', async () => {
    await ctx.sb.write('home/.env', 'GEMINI_MODEL=home-plain\nANTHROPIC_MODEL=only-plain\n');
    let c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('home/.env')]);
    assert.equal(c.env.GEMINI_MODEL.value, 'home-plain');
    await ctx.sb.write('home/.qwen/.env', 'GEMINI_MODEL=home-qwen\n');
    c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('home/.qwen/.env'), ctx.sb.path('home/.env')]);
    assert.equal(c.env.GEMINI_MODEL.value, 'home-qwen');
    assert.equal(c.env.ANTHROPIC_MODEL.value, 'only-plain');
  });

  it('a .env directory (a Python virtual environment) is not read, but ends the walk, as in Qwen Code', async () => {
    await ctx.sb.write('work/project/.env/pyvenv.cfg', 'home = /usr/bin\n');
    await ctx.sb.write('work/.env', 'GEMINI_MODEL=parent\n');
    await ctx.sb.write('home/.env', 'GEMINI_MODEL=home\n');
    const c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('home/.env')]);
    assert.equal(c.env.GEMINI_MODEL.value, 'home');
    assert.deepEqual(c.diagnostics.filter((d: any) => d.path.startsWith(ctx.sb.path('work'))), [], 'no diagnostic for the directory');
  });

  it('excludes DEBUG and DEBUG_MODE from a project .env only', async () => {
    await ctx.sb.write('work/project/.env', 'DEBUG=1\nDEBUG_MODE=1\nGEMINI_MODEL=x\n');
    let c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles[0].excluded.sort(), ['DEBUG', 'DEBUG_MODE']);
    assert.deepEqual(c.dotenvFiles[0].loaded, ['GEMINI_MODEL']);
    // The same names in a .qwen folder's file are loaded.
    await ctx.sb.write('work/project/.qwen/.env', 'DEBUG=1\n');
    c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles[0].excluded, []);
    assert.deepEqual(c.dotenvFiles[0].loaded, ['DEBUG']);
  });

  it('home files are exempt from the exclusions, and a user list replaces the default', async () => {
    await ctx.sb.write('home/.env', 'DEBUG=1\n');
    let c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles[0].loaded, ['DEBUG']);
    await ctx.sb.write('work/project/.env', 'DEBUG=1\nGEMINI_MODEL=m\n');
    await ctx.sb.write('home/.qwen/settings.json', '{ "advanced": { "excludedEnvVars": ["GEMINI_MODEL"] } }');
    c = await resolveIn(ctx.sb.project);
    assert.deepEqual(c.dotenvFiles[0].loaded, ['DEBUG']);
    assert.deepEqual(c.dotenvFiles[0].excluded, ['GEMINI_MODEL']);
  });
});

describe('.env discovery under folder trust (Qwen Code 0.24.4: trust-precedence.ts, findEnvFiles)', () => {
  const trustOn = () => ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ security: { folderTrust: { enabled: true } } }));
  const rules = (r: Record<string, string>) => ctx.sb.write('home/.qwen/trustedFolders.json', JSON.stringify(r));
  const warningsOn = (c: any, path: string) => c.diagnostics.filter((d: any) => d.path === path && d.severity === 'warning');

  it('skips a .env in a folder above the project that the rules distrust, says so there, and walks on up', async () => {
    await trustOn();
    await rules({ [ctx.sb.path('work')]: 'DO_NOT_TRUST', [ctx.sb.project]: 'TRUST_FOLDER' });
    const distrusted = await ctx.sb.write('work/.env', 'GEMINI_MODEL=distrusted\n');
    await ctx.sb.write('.env', 'GEMINI_MODEL=grandparent\n');
    const c = await resolveIn(ctx.sb.project);
    assert.equal(c.env.GEMINI_MODEL.value, 'grandparent');
    assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('.env')]);
    const [w] = warningsOn(c, distrusted);
    assert.ok(w, JSON.stringify(c.diagnostics));
    assert.ok(w.message.includes(`marks ${ctx.sb.path('work')} DO_NOT_TRUST`), w.message);
    // The project's own file loads however its parent is marked.
    await ctx.sb.write('work/project/.qwen/.env', 'GEMINI_MODEL=own\n');
    assert.equal((await resolveIn(ctx.sb.project)).env.GEMINI_MODEL.value, 'own');
  });

  for (const [label, r] of [
    ['a deeper DO_NOT_TRUST wins over the TRUST_FOLDER above it', () => ({ [ctx.sb.path('work')]: 'TRUST_FOLDER', [ctx.sb.project]: 'DO_NOT_TRUST' })],
    ['DO_NOT_TRUST wins over TRUST_FOLDER on the same folder', () => ({ [ctx.sb.project]: 'TRUST_FOLDER', [`${ctx.sb.project}/`]: 'DO_NOT_TRUST' })],
    ['DO_NOT_TRUST covers the folders below it', () => ({ [ctx.sb.path('work')]: 'DO_NOT_TRUST', [ctx.sb.path('elsewhere')]: 'TRUST_FOLDER' })],
  ] as const) {
    it(`${label}: the workspace is not trusted, only the home files load`, async () => {
      await trustOn();
      await rules(r());
      const project = await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=project\n');
      await ctx.sb.write('home/.env', 'GEMINI_MODEL=home\n');
      const c = await resolveIn(ctx.sb.project);
      assert.equal(c.layers.find((l: any) => l.scope === 'workspace').trusted, false);
      assert.equal(c.env.GEMINI_MODEL.value, 'home');
      assert.deepEqual(c.dotenvFiles.map((f: any) => f.path), [ctx.sb.path('home/.env')]);
      const [w] = warningsOn(c, project);
      assert.ok(w, JSON.stringify(c.diagnostics));
      assert.match(w.message, /this workspace is not trusted, so Qwen Code loads no project \.env file/);
    });
  }
});
