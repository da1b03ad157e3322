// Runs every test file under test/ with node's test runner (Node 20 does not
// expand globs for --test, and does not pick up .ts files by itself), then
// prints one plain summary line that any CI can read.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    // Installed packages (test/qwen-code/node_modules) ship tests of their own.
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
// A folder given on the command line means every test file under it.
const files = (only.length > 0 ? only : ['test'])
  .flatMap((p) => (statSync(p).isDirectory() ? find(p).sort() : [p]));
mkdirSync('.cache', { recursive: true });
// One TAP file per run: runs side by side must not read each other's counts.
const tap = join('.cache', `test-results.${process.pid}.tap`);
const r = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test', '--test-concurrency=2',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
try {
  const text = readFileSync(tap, 'utf8');
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const skipped = count('skipped') + count('todo');
  console.log(`\n${count('pass')} passed, ${count('fail') + count('cancelled')} failed${skipped ? `, ${skipped} skipped` : ''}`);
  rmSync(tap, { force: true });
} catch {
  // No summary without the TAP file; the exit code still tells.
}
process.exit(r.status ?? 1);
