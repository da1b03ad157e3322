import { type CancellationToken, type Connection, ErrorCodes, Message, type MessageStrategy, ResponseError } from 'vscode-languageserver/node';
import { isObject, type Rejection } from './incoming.js';

export type Handle = (method: string, raw: unknown, token: CancellationToken) => Promise<unknown>;

/** Where the LSP lifecycle is: vscode-languageserver runs it, but leaves requests unguarded. */
export interface Lifecycle {
  initialized: boolean;
  shutdown: boolean;
}

export const notInitialized = () => new ResponseError(ErrorCodes.ServerNotInitialized, 'the server is not initialized: send initialize first');

/**
 * Registers every method with the lifecycle check PROTOCOL.md asks for and
 * vscode-languageserver does not make (-32002 before initialize, -32600
 * after shutdown); unknown methods get -32601. The work itself is
 * `handle`'s, which loads after start-up.
 */
export function registerMethods(conn: Connection, methods: readonly string[], life: Lifecycle, handle: Handle): void {
  for (const method of methods) {
    // vscode-jsonrpc passes only the token when a request has no params.
    conn.onRequest(method, (...args: unknown[]) => {
      if (!life.initialized) return notInitialized();
      if (life.shutdown) return new ResponseError(ErrorCodes.InvalidRequest, 'the server is shutting down');
      return handle(method, args.length > 1 ? args[0] : undefined, args[args.length - 1] as CancellationToken);
    });
  }
  conn.onRequest((method: string) => {
    if (!life.initialized) return notInitialized();
    return new ResponseError(ErrorCodes.MethodNotFound, `unknown method: ${method.slice(0, 100)}`);
  });
}

/**
 * vscode-languageserver reads initialize's params before any handler of ours
 * runs, and throws a TypeError at a client whose params are null or lack
 * `capabilities`; such an initialize is answered -32602 here instead.
 */
export function checkInitialize(reject: (r: Rejection) => void): MessageStrategy {
  return {
    handleMessage(message, next) {
      if (Message.isRequest(message) && message.method === 'initialize') {
        const params: unknown = message.params;
        if (!isObject(params) || !isObject(params.capabilities)) {
          return reject({ id: message.id, code: ErrorCodes.InvalidParams, message: 'initialize needs InitializeParams: an object with "capabilities"' });
        }
      }
      return next(message);
    },
  };
}
