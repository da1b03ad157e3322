import type { Message, MessageWriter } from 'vscode-jsonrpc/node';

/** A notification nobody handles: what a message we already answered turns into. */
const ANSWERED: Message = { jsonrpc: '2.0', method: '$/qwenAgent/answered' } as Message;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * vscode-jsonrpc drops a body that is not JSON, or not a JSON-RPC message,
 * without a word. PROTOCOL.md wants an error answer for each, so the body
 * is checked here and answered directly.
 */
export function createContentTypeDecoder(writer: () => MessageWriter) {
  const answer = (id: string | number | null, code: number, message: string) => {
    void writer().write({ jsonrpc: '2.0', id, error: { code, message } } as Message);
    return ANSWERED;
  };
  return {
    name: 'application/json',
    async decode(buffer: Uint8Array, options: { charset: string }): Promise<Message> {
      let msg: unknown;
      try {
        msg = JSON.parse(new TextDecoder(options.charset).decode(buffer));
      } catch {
        return answer(null, -32700, 'Parse error: the message body is not valid JSON');
      }
      if (!isObject(msg)) return answer(null, -32600, 'Invalid request: a message must be a JSON object (batches are not supported)');
      const id = msg.id;
      const hasId = typeof id === 'string' || typeof id === 'number';
      const isResponse = 'result' in msg || 'error' in msg;
      if (!isResponse && typeof msg.method !== 'string') {
        return answer(hasId ? id : null, -32600, 'Invalid request: "method" must be a string');
      }
      if (!isResponse && 'id' in msg && !hasId && id !== undefined) {
        return answer(null, -32600, 'Invalid request: "id" must be a string or a number');
      }
      return msg as unknown as Message;
    },
  };
}
