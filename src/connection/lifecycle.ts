import type { MessageConnection } from 'vscode-jsonrpc/node';

export interface Lifecycle {
  initialized: boolean;
  shutdown: boolean;
}

/** LSP's exit code: 0 when the client asked for `shutdown` first, 1 otherwise. */
function exit(life: Lifecycle): never {
  process.exit(life.shutdown ? 0 : 1);
}

/**
 * The end of a server process, as LSP has it: `exit` ends it (code 0 after
 * `shutdown`, 1 otherwise), and so does the client closing stdin. This is
 * what vscode-languageserver adds to a JSON-RPC connection that this server
 * needs; the rest of that package is left out (it is 200 KB of code to load).
 */
export function endWithClient(conn: MessageConnection, input: NodeJS.ReadableStream, life: Lifecycle): void {
  conn.onNotification('exit', () => exit(life));
  input.on('end', () => exit(life));
  input.on('close', () => exit(life));
}

/** Ends the process when the editor's process is gone (it may die without closing our stdin). */
export function watchParent(pid: number, life: Lifecycle): void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      // EPERM: it exists, but is not ours to signal.
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') exit(life);
    }
  }, 3000);
  timer.unref();
}
