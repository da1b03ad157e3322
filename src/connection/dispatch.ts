import { type CancellationToken, ErrorCodes, type MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import type { Lifecycle } from './lifecycle.js';

export type Handle = (method: string, raw: unknown, token: CancellationToken) => Promise<unknown>;

/**
 * Registers every method with the lifecycle check (-32002 before initialize,
 * -32600 after shutdown); unknown methods get -32601. The work itself is
 * `handle`'s, which loads after start-up.
 */
export function registerMethods(conn: MessageConnection, methods: readonly string[], life: Lifecycle, handle: () => Handle | undefined): void {
  const notInitialized = () => new ResponseError(ErrorCodes.ServerNotInitialized, 'the server is not initialized: send initialize first');
  for (const method of methods) {
    // vscode-jsonrpc passes only the token when a request has no params.
    conn.onRequest(method, (...args: unknown[]) => {
      const h = handle();
      if (!life.initialized || !h) return notInitialized();
      if (life.shutdown) return new ResponseError(ErrorCodes.InvalidRequest, 'the server is shutting down');
      return h(method, args.length > 1 ? args[0] : undefined, args[args.length - 1] as CancellationToken);
    });
  }
  conn.onRequest((method: string) => {
    if (!life.initialized) return notInitialized();
    return new ResponseError(ErrorCodes.MethodNotFound, `unknown method: ${method.slice(0, 100)}`);
  });
}
