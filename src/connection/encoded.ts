import type { Message } from 'vscode-jsonrpc/node';

const BYTES = Symbol('qwen-agent.encodedResult');
const CLOSE = Buffer.from('}');

/**
 * A result already serialised to JSON. The writer sends its bytes inside the
 * answer instead of serialising the value again: a model/list answer with
 * 1,000 models is 250 KB, and turning it into JSON costs more than the rest
 * of its round trip, so it is done once per change, not once per request.
 */
export interface Encoded<T> {
  readonly [BYTES]: Buffer;
  /** Only for the type checker: what the bytes encode. */
  readonly _type?: T;
}

/** `stringify` may change what is sent (the redaction pass, handlers/model.ts), not its type. */
export function encodeResult<T>(value: T, stringify: (value: T) => string = JSON.stringify): Encoded<T> {
  return { [BYTES]: Buffer.from(stringify(value), 'utf8') };
}

function bytesOf(v: unknown): Buffer | undefined {
  return v !== null && typeof v === 'object' && BYTES in v ? (v as Encoded<unknown>)[BYTES] : undefined;
}

export function isEncoded(v: unknown): v is Encoded<unknown> {
  return bytesOf(v) !== undefined;
}

/** The value of an answer, whether or not it was encoded: for callers in this process. */
export function decodeResult<T>(answer: T | Encoded<T>): T {
  const bytes = bytesOf(answer);
  return bytes ? (JSON.parse(bytes.toString('utf8')) as T) : (answer as T);
}

/**
 * A message as the bytes of its JSON body, in pieces: an encoded result is
 * one of the pieces as it is, never copied.
 */
export function messageBody(msg: Message): Buffer[] {
  const result = 'result' in msg ? bytesOf(msg.result) : undefined;
  if (!result) return [Buffer.from(JSON.stringify(msg), 'utf8')];
  const { result: _, ...head } = msg as Message & { result: unknown };
  return [Buffer.from(`${JSON.stringify(head).slice(0, -1)},"result":`, 'utf8'), result, CLOSE];
}

/** The message with an encoded result turned back into a value: for transports that serialise messages themselves (IPC). */
export function plainMessage(msg: Message): Message {
  return 'result' in msg && isEncoded(msg.result) ? ({ ...msg, result: decodeResult(msg.result) } as Message) : msg;
}
