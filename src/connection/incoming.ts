import { Message } from 'vscode-languageserver/node';

/**
 * What may reach the connection from the client: a request, a notification,
 * or an answer to one of the server's own requests (window/showDocument),
 * by vscode-jsonrpc's own tests of a message. It drops anything else
 * without a word; PROTOCOL.md wants an error answer, so that is given here.
 * (Not zod: this runs before the initialize answer, and loading zod there
 * would cost a fifth of the start-up time; params are checked with zod later.)
 */
export interface Rejection {
  id: string | number | null;
  code: number;
  message: string;
}

export const PARSE_ERROR: Rejection = { id: null, code: -32700, message: 'Parse error: the message body is not valid JSON' };

const invalid = (id: string | number | null, message: string): Rejection => ({ id, code: -32600, message: `Invalid request: ${message}` });

export function tooLarge(id: string | number | undefined, limit: number): Rejection {
  return invalid(id ?? null, `the message is over the ${limit / 1024 / 1024} MiB limit`);
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function checkMessage(value: unknown): { message: Message } | { rejection: Rejection } {
  if (!isObject(value)) {
    return { rejection: invalid(null, 'a message must be a JSON object (batches are not supported)') };
  }
  const m = value as unknown as Message;
  if (Message.isRequest(m) || Message.isNotification(m) || Message.isResponse(m)) return { message: m };
  const { id, method } = value;
  if (typeof method === 'string') return { rejection: invalid(null, '"id" must be a string or a number') };
  return { rejection: invalid(typeof id === 'string' || typeof id === 'number' ? id : null, '"method" must be a string') };
}
