type Input = Parameters<typeof fetch>[0];
type Init = NonNullable<Parameters<typeof fetch>[1]>;

/** What a request would send, as text, for the egress guard to read. */
export interface RequestParts {
  url: string;
  headers: [string, string][];
  body: string;
  /** A stream body had to be read to be judged: send these bytes instead. */
  readBody?: Uint8Array;
}

export function urlOf(input: Input): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/**
 * Every header as given, without the Headers class: it throws on a bad value
 * with the value in its message, and that value may be a credential.
 */
function headerPairs(h: unknown): [string, string][] {
  if (!h) return [];
  if (h instanceof Headers) return [...h];
  if (Array.isArray(h)) return h.filter((p): p is [unknown, unknown] => Array.isArray(p)).map(([k, v]) => [String(k), String(v)]);
  if (typeof h === 'object') {
    return Object.entries(h as Record<string, unknown>).flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null).map((x): [string, string] => [k, String(x)]),
    );
  }
  return [];
}

function isStream(b: unknown): b is ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> {
  return b instanceof ReadableStream || (typeof b === 'object' && b !== null && Symbol.asyncIterator in b);
}

async function readAll(b: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of b as AsyncIterable<Uint8Array | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder();

/** The body as text; streams are read whole (and handed back to be sent). */
async function bodyText(body: unknown): Promise<{ text: string; read?: Uint8Array }> {
  if (body === undefined || body === null) return { text: '' };
  if (typeof body === 'string') return { text: body };
  if (body instanceof URLSearchParams) return { text: body.toString() };
  if (body instanceof ArrayBuffer) return { text: utf8.decode(body) };
  if (ArrayBuffer.isView(body)) return { text: utf8.decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)) };
  if (body instanceof Blob) return { text: await body.text() };
  // The multipart form it becomes: what the receiver would read.
  if (body instanceof FormData) return { text: await new Response(body).text() };
  if (isStream(body)) {
    const read = await readAll(body);
    return { text: utf8.decode(read), read };
  }
  return { text: String(body) };
}

export async function requestParts(input: Input, init: Init | undefined): Promise<RequestParts> {
  const req = input instanceof Request ? input : undefined;
  // fetch(request, init) lets init replace the request's headers; both are read, to be safe.
  const headers = [...headerPairs(req?.headers), ...headerPairs(init?.headers)];
  let body: { text: string; read?: Uint8Array };
  if (init?.body !== undefined && init.body !== null) body = await bodyText(init.body);
  else if (req?.body) body = { text: await req.clone().text() };
  else body = { text: '' };
  return { url: urlOf(input), headers, body: body.text, ...(body.read ? { readBody: body.read } : {}) };
}
