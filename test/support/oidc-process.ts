import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OIDC_CLI = fileURLToPath(new URL('../peers/oidc-server-cli.ts', import.meta.url));

export function tail(text: string, n = 3000): string {
  return text.length > n ? `…${text.slice(-n)}` : text;
}

/**
 * Starts the loopback OAuth server in its own process (for editor tests, which
 * talk to it from Lisp or Lua); resolves to its JSON line and the process.
 */
export async function startOidc(env: NodeJS.ProcessEnv): Promise<{ info: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', OIDC_CLI], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const info = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-server-cli printed nothing in 30 s: ${tail(err)}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-server-cli exited with ${code}: ${tail(err)}`));
    });
  });
  JSON.parse(info); // fail early on a malformed line
  return { info, child };
}
