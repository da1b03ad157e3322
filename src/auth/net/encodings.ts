/**
 * The forms a value takes in the parts of an HTTP request: as is, JSON string
 * escapes (bodies), percent- and form-encoding (URLs, form bodies), and
 * base64 (Basic auth, `user:password` with the value at any offset).
 */
export function encodings(value: string): string[] {
  const forms = new Set<string>([
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    ...base64Forms(value),
  ]);
  return [...forms];
}

/** Below this a base64 run is too short to tell a credential from chance. */
const MIN_BASE64_RUN = 8;

/**
 * Base64 of the value wherever it starts in the encoded text: with 0, 1 or 2
 * bytes before it, the characters that depend on the value alone (up to two
 * bytes at each end are mixed with their neighbours and left out), in the
 * standard and the URL-safe alphabet.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let before = 0; before < 3; before++) {
    const b64 = Buffer.concat([Buffer.alloc(before), bytes]).toString('base64');
    const run = b64.slice(Math.ceil(before / 3) * 4, Math.floor((before + bytes.length) / 3) * 4);
    if (run.length < MIN_BASE64_RUN) continue;
    out.push(run, run.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

function decodeRun(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    // Not UTF-8: byte by byte, so that the ASCII in it still shows.
    return run.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
}

/**
 * The text, and the text with percent-escapes decoded, again for as long as
 * that changes it (a few rounds): what a receiver can get back from it.
 */
export function percentDecodings(text: string): string[] {
  const out = [text];
  let cur = text;
  for (let round = 0; round < 3 && cur.includes('%'); round++) {
    const next = cur.replace(ESCAPES, decodeRun);
    if (next === cur) break;
    out.push(next);
    cur = next;
  }
  return out;
}
