/**
 * Start-up time: importing the providers must not load any SDK. A child process
 * records every module resolution through a `module.register` hook, imports
 * src/providers/index.ts, then (as a control that the hook sees SDK imports
 * at all) imports `openai` itself.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

const HOOK = `
import { appendFileSync } from 'node:fs';
let file;
export async function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  if (/^(openai|@anthropic-ai\\/sdk|@google\\/genai)(\\/|$)/.test(specifier)) appendFileSync(file, specifier + '\\n');
  return next(specifier, context);
}
`;

const CHILD = `
import { register } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
const file = process.env.QAS_RESOLVE_LOG;
writeFileSync(file, '');
register('data:text/javascript,' + encodeURIComponent(process.env.QAS_HOOK), import.meta.url, { data: { file } });
const providers = await import(process.env.QAS_ENTRY);
for (const t of ['qwen-oauth', 'openai', 'anthropic', 'gemini', 'vertex-ai']) providers.adapterFor(t);
const afterProviders = readFileSync(file, 'utf8');
await import('openai');
const afterControl = readFileSync(file, 'utf8');
process.stdout.write(JSON.stringify({ afterProviders, afterControl }));
`;

it('importing src/providers/index.ts loads none of the SDKs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qas-lazy-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        QAS_RESOLVE_LOG: join(dir, 'resolved.txt'),
        QAS_HOOK: HOOK,
        QAS_ENTRY: pathToFileURL(join(root, 'src/providers/index.ts')).href,
      },
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { afterProviders: string; afterControl: string };
    assert.equal(out.afterProviders, '', `SDKs imported at load time:\n${out.afterProviders}`);
    assert.match(out.afterControl, /^openai$/m, 'the resolve hook did not see the control import');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
