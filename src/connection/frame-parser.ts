/**
 * LSP base framing (`Content-Length: N\r\n\r\n` + N bytes of JSON), read so
 * that no input can make the server deaf: a frame whose header can't be read
 * is dropped and parsing resumes at the next `Content-Length:`; a body over
 * MAX_BODY is counted off, never buffered.
 *
 * One fact does most of the work: a raw CR LF can't occur inside a JSON
 * string, and `Content-Length` can't occur outside one, so bytes like
 * `Content-Length: 52\r\n` inside a body prove that the body ended earlier
 * (its length was too large) and that a new frame starts there.
 */

/** The largest body that is buffered (PROTOCOL.md); larger ones are skipped. */
export const MAX_BODY = 64 * 1024 * 1024;
/** Headers are a line or two; more than this before the blank line is junk. */
const MAX_HEADER = 8 * 1024;
const TOKEN = Buffer.from('Content-Length:', 'latin1');
/** Enough of the end of a body to hold a header line cut by a chunk boundary. */
const KEEP = TOKEN.length + 40;
const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;

// RFC 9110 token characters for a header name.
const LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n]*$/;
/** What an unfinished header line may look like so far. */
const PARTIAL = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*(?::[^\r\n]*)?\r?$/;
const HEADER_AFTER_TOKEN = /^[ \t]*\d+\r\n/;
/** The id of an oversized message, if its first bytes show one (to answer it). */
const LEADING_ID = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d{1,15}|"[^"\\]{0,100}")\s*[,}]/;

export interface FrameEvents {
  /** A body that parsed as JSON. */
  value(value: unknown): void;
  /** A well-framed body that is not JSON. */
  notJson(): void;
  /** A body over MAX_BODY was skipped; `id` if its first bytes named one. */
  tooLarge(id: string | number | undefined): void;
  /** Bytes were dropped; `reason` says why, never what they were. */
  dropped(reason: string): void;
}

type State =
  | { kind: 'header' }
  | { kind: 'body'; need: number; have: number; chunks: Buffer[]; tail: Buffer }
  | { kind: 'skip'; left: number; head: Buffer; tail: Buffer };

export class FrameParser {
  private state: State = { kind: 'header' };
  /** Unparsed bytes in the header state. */
  private buf: Buffer = EMPTY;
  /** Looking for the next header after a drop: more junk is part of the same drop. */
  private resyncing = false;

  constructor(private readonly on: FrameEvents) {}

  push(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.state.kind === 'body') data = this.bodyBytes(this.state, data);
      else if (this.state.kind === 'skip') data = this.skipBytes(this.state, data);
      else {
        this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
        data = this.headers();
      }
    }
  }

  private drop(reason: string): void {
    if (!this.resyncing) this.on.dropped(reason);
    this.resyncing = true;
  }

  /** Drops `buf` up to the next `Content-Length:` after `from`, keeping a tail that may be the start of one. */
  private resync(from: number): void {
    const at = this.buf.indexOf(TOKEN, from);
    this.buf = at >= 0 ? this.buf.subarray(at) : this.buf.subarray(Math.max(from, this.buf.length - (TOKEN.length - 1)));
  }

  /** Parses headers from `buf`; returns the bytes after them when a body starts, else EMPTY. */
  private headers(): Buffer {
    for (;;) {
      let start = 0;
      // Blank lines between frames are harmless.
      while (start < this.buf.length && (this.buf[start] === CR || this.buf[start] === LF)) start++;
      this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) return EMPTY;
      const end = this.buf.indexOf('\r\n\r\n', 0, 'latin1');
      const head = this.buf.subarray(0, end >= 0 ? end : Math.min(this.buf.length, MAX_HEADER + 1)).toString('latin1');
      const lines = head.split('\r\n');
      const partial = end >= 0 ? undefined : lines.pop();
      if (!lines.every((l) => LINE.test(l)) || (partial !== undefined && !PARTIAL.test(partial))) {
        this.drop('a frame whose header is not "Name: value" lines ending in CR LF CR LF');
        this.resync(1);
        continue;
      }
      if (end < 0) {
        if (this.buf.length <= MAX_HEADER) return EMPTY;
        this.drop(`a header longer than ${MAX_HEADER} bytes`);
        this.resync(1);
        continue;
      }
      const lengths = lines.filter((l) => /^content-length:/i.test(l)).map((l) => l.slice(TOKEN.length).trim());
      const length = lengths.length === 1 && /^\d+$/.test(lengths[0]!) ? Number(lengths[0]) : undefined;
      if (length === undefined) {
        this.drop(lengths.length === 0 ? 'a frame without Content-Length' : lengths.length > 1 ? 'a frame with two Content-Length headers' : 'a frame whose Content-Length is not a number of bytes');
        this.resync(1);
        continue;
      }
      this.resyncing = false;
      const rest = this.buf.subarray(end + 4);
      if (length === 0) {
        this.on.notJson();
        this.buf = rest;
        continue;
      }
      this.buf = EMPTY;
      if (length > MAX_BODY) {
        this.on.dropped(`a frame of ${length} bytes, over the ${MAX_BODY / 1024 / 1024} MiB limit: skipping it`);
        this.state = { kind: 'skip', left: length, head: EMPTY, tail: EMPTY };
      } else {
        this.state = { kind: 'body', need: length, have: 0, chunks: [], tail: EMPTY };
      }
      return rest.length > 0 ? rest : EMPTY;
    }
  }

  /** Takes body bytes from `data`; returns what follows the body (or a header found inside it). */
  private bodyBytes(s: State & { kind: 'body' }, data: Buffer): Buffer {
    const region = data.subarray(0, s.need - s.have);
    const header = findHeader(s.tail, region, data);
    if (header) {
      this.state = { kind: 'header' };
      this.drop('a frame whose body is shorter than its Content-Length (the next header started inside it)');
      this.resyncing = false;
      return header;
    }
    s.chunks.push(region);
    s.have += region.length;
    s.tail = tailOf(s.tail, region);
    if (s.have < s.need) return EMPTY;
    this.state = { kind: 'header' };
    const rest = data.subarray(region.length);
    const body = s.chunks.length === 1 ? s.chunks[0]! : Buffer.concat(s.chunks, s.need);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      // A length that ran into the next frame, cut before its header line ended.
      const at = headerStartIn(body);
      if (at >= 0) {
        this.drop('a frame whose Content-Length does not match its body');
        this.resyncing = false;
        return Buffer.concat([body.subarray(at), rest]);
      }
      this.on.notJson();
      return rest;
    }
    this.on.value(value);
    return rest;
  }

  /** Counts off an oversized body without keeping it; a header inside it ends it early. */
  private skipBytes(s: State & { kind: 'skip' }, data: Buffer): Buffer {
    const region = data.subarray(0, Math.min(data.length, s.left));
    const header = findHeader(s.tail, region, data);
    if (header) {
      this.state = { kind: 'header' };
      return header;
    }
    if (s.head.length < 256) s.head = Buffer.concat([s.head, region.subarray(0, 256 - s.head.length)]);
    s.tail = tailOf(s.tail, region);
    s.left -= region.length;
    if (s.left > 0) return EMPTY;
    this.state = { kind: 'header' };
    const id = LEADING_ID.exec(s.head.toString('utf8'))?.[1];
    this.on.tooLarge(id === undefined ? undefined : id.startsWith('"') ? id.slice(1, -1) : Number(id));
    return data.subarray(region.length);
  }
}

/** The last KEEP bytes of `tail` followed by `region`. */
function tailOf(tail: Buffer, region: Buffer): Buffer {
  if (region.length >= KEEP) return Buffer.from(region.subarray(region.length - KEEP));
  return Buffer.concat([tail, region]).subarray(-KEEP);
}

/**
 * A complete `Content-Length: N\r\n` within `region` (or starting in `tail`,
 * the body's last bytes before it): the bytes from there on, to parse as a
 * new frame; `data` is `region` plus what follows it.
 */
function findHeader(tail: Buffer, region: Buffer, data: Buffer): Buffer | undefined {
  if (tail.length > 0) {
    const seam = Buffer.concat([tail, region.subarray(0, KEEP)]);
    const at = headerAt(seam, 0, tail.length);
    if (at >= 0) return Buffer.concat([seam.subarray(at), data.subarray(Math.min(region.length, KEEP))]);
  }
  const at = headerAt(region, 0, region.length);
  return at >= 0 ? data.subarray(at) : undefined;
}

/** The first complete header line starting in [from, before) of `buf`, or -1. */
function headerAt(buf: Buffer, from: number, before: number): number {
  for (let at = buf.indexOf(TOKEN, from); at >= 0 && at < before; at = buf.indexOf(TOKEN, at + 1)) {
    if (HEADER_AFTER_TOKEN.test(buf.subarray(at + TOKEN.length, at + KEEP).toString('latin1'))) return at;
  }
  return -1;
}

/** Where `Content-Length:` starts in `body`, or the start of a cut-off `Content-Length:` at its end; -1 if neither. */
function headerStartIn(body: Buffer): number {
  const at = body.indexOf(TOKEN);
  if (at >= 0) return at;
  for (let n = Math.min(TOKEN.length - 1, body.length); n > 0; n--) {
    if (body.subarray(body.length - n).equals(TOKEN.subarray(0, n))) return body.length - n;
  }
  return -1;
}
