/**
 * Chat turns against the loopback streaming peer (test/peers/streaming-provider.ts,
 * OpenAI chat completions over SSE, in this process):
 *
 * 1. time to the first delta: chat/send sent → the first chat/didUpdate frame
 *    read at the client, next to the same openai SDK streaming call made
 *    directly in this process → its first content chunk (30 runs each,
 *    alternating, after warm-up);
 * 2. 5,000 deltas a second for 4 s: every delta arrives, in order, and they
 *    add up to the answer; the rate the client saw;
 * 3. the server's added latency per delta: the peer's write of a piece → its
 *    chat/didUpdate at the client, minus the same for the direct SDK call
 *    (2,000 deltas paced 1 ms apart), median and p99.
 *
 *   npm run bench -- chat
 */
import { pathToFileURL } from 'node:url';
import { makeSandbox } from '../test/support/sandbox.js';
import { SERVER } from '../test/support/server.js';
import { startStreamingPeer, type StreamingPeer } from '../test/peers/streaming-provider.js';
import { median, sleep } from './fixtures.js';
import { RawServer } from './rpc.js';

export interface ChatRow {
  what: string;
  figure: string;
  target?: string;
  met?: boolean;
}

const KEY = 'sk-bench-chat-key-0123456789';
const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))] ?? Number.NaN;
};

interface Update {
  at: number;
  turnId: string;
  delta: string;
}

/** Every chat/didUpdate the server writes, timestamped when its frame's last byte arrives. */
function collectUpdates(s: RawServer): Update[] {
  const out: Update[] = [];
  let buf: Buffer = Buffer.alloc(0);
  s.child.stdout.on('data', (d: Buffer) => {
    const at = performance.now();
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/Content-Length:\s*(\d+)/i.exec(buf.subarray(0, end).toString('latin1'))?.[1]);
      if (buf.length < end + 4 + len) return;
      const body = buf.subarray(end + 4, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      if (!body.subarray(0, 80).includes('chat/didUpdate')) continue;
      const p = JSON.parse(body.toString('utf8')).params as { turnId: string; delta: string };
      out.push({ at, turnId: p.turnId, delta: p.delta });
    }
  });
  return out;
}

async function directClient(peer: StreamingPeer) {
  const { default: OpenAI } = await import('openai');
  const c = new OpenAI({ apiKey: KEY, baseURL: peer.url, maxRetries: 0 });
  /** One streamed call; the time of each content chunk as the SDK hands it over. */
  return async (): Promise<{ started: number; chunks: number[] }> => {
    const started = performance.now();
    const chunks: number[] = [];
    const stream = await c.chat.completions.create({
      model: 'bench-model',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const ch of stream) if (ch.choices[0]?.delta?.content) chunks.push(performance.now());
    return { started, chunks };
  };
}

export async function chat(): Promise<{ rows: ChatRow[]; results: Record<string, unknown> }> {
  const peer = await startStreamingPeer({ keys: [KEY] });
  const sb = await makeSandbox();
  const rows: ChatRow[] = [];
  const results: Record<string, unknown> = {};
  try {
    await sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({
        model: { name: 'bench-model' },
        security: { auth: { selectedType: 'openai' } },
        modelProviders: { openai: [{ id: 'bench-model', baseUrl: peer.url, envKey: 'BENCH_CHAT_KEY', generationConfig: { maxRetries: 0 } }] },
      }),
    );
    const s = RawServer.spawn(SERVER, { cwd: sb.project, env: { ...sb.env, BENCH_CHAT_KEY: KEY, XDG_STATE_HOME: sb.path('state') } });
    const updates = collectUpdates(s);
    await s.initialize(pathToFileURL(sb.project).href);
    const started = JSON.parse((await s.request('chat/start', {})).body.toString('utf8')).result as { chatId: string };
    // Each turn in its own chat, so that the history does not grow between runs.
    const newChat = async () => (JSON.parse((await s.request('chat/start', {})).body.toString('utf8')).result as { chatId: string }).chatId;
    const send = async (chatId: string) => {
      const t0 = performance.now();
      const f = await s.request('chat/send', { chatId, text: 'go' });
      const r = JSON.parse(f.body.toString('utf8')).result as { turnId: string; text: string; stopReason: string };
      return { t0, r };
    };
    const direct = await directClient(peer);

    // 1. time to the first delta.
    peer.setScript({ text: ['first', ' second', ' third'], usage: { input: 1, output: 3 } });
    for (let i = 0; i < 5; i++) {
      await send(await newChat());
      await direct();
    }
    const RUNS = 30;
    const viaServer: number[] = [];
    const viaSdk: number[] = [];
    /** chat/send sent → the request at the peer, and the same for the SDK. */
    const toPeer: number[] = [];
    const sdkToPeer: number[] = [];
    /** The peer's first piece written → it arrives at the client, and at the SDK. */
    const fromPeer: number[] = [];
    const sdkFromPeer: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const chatId = await newChat();
      const { t0, r } = await send(chatId);
      const first = updates.find((u) => u.turnId === r.turnId);
      if (first) viaServer.push(first.at - t0);
      const atPeer = peer.requests[peer.requests.length - 1]!;
      toPeer.push(atPeer.receivedAt - t0);
      if (first && atPeer.textAt[0] !== undefined) fromPeer.push(first.at - atPeer.textAt[0]);
      const d = await direct();
      if (d.chunks[0] !== undefined) viaSdk.push(d.chunks[0] - d.started);
      const sdkAtPeer = peer.requests[peer.requests.length - 1]!;
      sdkToPeer.push(sdkAtPeer.receivedAt - d.started);
      if (d.chunks[0] !== undefined && sdkAtPeer.textAt[0] !== undefined) sdkFromPeer.push(d.chunks[0] - sdkAtPeer.textAt[0]);
    }
    results.requestAtPeerMs = { server: median(toPeer), directSdk: median(sdkToPeer) };
    results.firstPieceToClientMs = { server: median(fromPeer), directSdk: median(sdkFromPeer) };
    const ours = median(viaServer);
    const base = median(viaSdk);
    results.firstDeltaMs = { server: ours, directSdk: base, runs: RUNS };
    rows.push({
      what: 'chat: time to first delta at the client vs the SDK directly in-process (median of 30)',
      figure: `${ours.toFixed(2)} ms vs ${base.toFixed(2)} ms: ×${(ours / base).toFixed(2)}, +${(ours - base).toFixed(2)} ms`,
      target: '≤ ×1.1 or +3 ms',
      met: ours / base <= 1.1 || ours - base <= 3,
    });

    // 2. 5,000 deltas a second, sustained.
    const N = 20_000;
    const pieces = Array.from({ length: N }, (_, i) => `d${i} `);
    peer.setScript({ text: pieces, ratePerSec: 5000, usage: { input: 1, output: N } });
    const { r: big } = await send(started.chatId);
    const got = updates.filter((u) => u.turnId === big.turnId);
    const inOrder = got.length === N && got.every((u, i) => u.delta === pieces[i]);
    const rate = got.length > 1 ? (got.length - 1) / ((got[got.length - 1]!.at - got[0]!.at) / 1000) : 0;
    const bigReq = peer.requests[peer.requests.length - 1]!.textAt;
    const peerRate = (bigReq.length - 1) / ((bigReq[bigReq.length - 1]! - bigReq[0]!) / 1000);
    results.peerRatePerSec = peerRate;
    results.sustained = { deltas: N, received: got.length, inOrder, textMatches: big.text === pieces.join(''), ratePerSec: rate };
    rows.push({
      what: `chat: ${N.toLocaleString('en')} deltas at 5,000/s: received, in order, text adds up; rate at the client`,
      figure: `${got.length.toLocaleString('en')} ${inOrder ? 'in order' : 'LOST OR REORDERED'}, ${big.text === pieces.join('') ? 'text ok' : 'TEXT DIFFERS'}, ${rate.toFixed(0)}/s (the peer sent ${peerRate.toFixed(0)}/s)`,
      target: 'all, as sent',
      // Kept up: the client saw the peer's rate (within 2 %), which the peer holds at 5,000/s.
      met: inOrder && big.text === pieces.join('') && rate >= peerRate * 0.98 && peerRate >= 4900,
    });

    // 3. added latency per delta (paced, so that each piece is its own write).
    const M = 2000;
    peer.setScript({ text: Array.from({ length: M }, (_, i) => `p${i} `), intervalMs: 1 });
    const before = peer.requests.length;
    const { r: paced } = await send(await newChat());
    const written = peer.requests[before]!.textAt;
    const arrived = updates.filter((u) => u.turnId === paced.turnId).map((u) => u.at);
    const serverLat = arrived.map((a, i) => a - written[i]!);
    const d = await direct();
    const sdkWritten = peer.requests[peer.requests.length - 1]!.textAt;
    const sdkLat = d.chunks.map((a, i) => a - sdkWritten[i]!);
    const added = { median: median(serverLat) - median(sdkLat), p99: percentile(serverLat, 0.99) - percentile(sdkLat, 0.99) };
    results.perDeltaMs = {
      server: { median: median(serverLat), p99: percentile(serverLat, 0.99) },
      directSdk: { median: median(sdkLat), p99: percentile(sdkLat, 0.99) },
      added,
      deltas: M,
    };
    rows.push({
      what: `chat: latency per delta, peer write → client (${M.toLocaleString('en')} deltas), server vs SDK directly`,
      figure: `median ${median(serverLat).toFixed(2)} vs ${median(sdkLat).toFixed(2)} ms, p99 ${percentile(serverLat, 0.99).toFixed(2)} vs ${percentile(sdkLat, 0.99).toFixed(2)} ms`,
    });
    rows.push({ what: '  the server\'s added latency per delta', figure: `median ${added.median.toFixed(2)} ms, p99 ${added.p99.toFixed(2)} ms` });
    await sleep(10);
    await s.close();
  } finally {
    await peer.close();
    await sb.cleanup();
  }
  return { rows, results };
}
