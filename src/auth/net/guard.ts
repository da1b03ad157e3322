import { redact, ServerError } from '../../protocol/index.js';
import {
  type Credential,
  type EgressPolicy,
  findCredential,
  findCredentialInHost,
  hideCredentialsInHost,
  needsJudging,
} from './policy.js';
import { requestParts, urlOf } from './request-parts.js';

type Input = Parameters<typeof fetch>[0];
type Init = Parameters<typeof fetch>[1];

export const TRUST_HINT =
  'if you trust this folder, trust it (workspace/trust with TRUST_FOLDER, or :Qwen trust / M-x qwen-agent-trust-folder), then try again';

export interface EgressGuardOptions {
  /** The fetch that sends (proxy-aware), made on first use. */
  send: () => Promise<typeof fetch>;
  /** The policy of the config as it is now. */
  policy: () => EgressPolicy | Promise<EgressPolicy>;
}

/** One SDK call and its retries, with a fetch that stops them all on a refusal. */
export interface EgressCall {
  fetch: typeof fetch;
  /** Aborted on a refusal: SDK retry loops take a throwing fetch for a network error, an aborted call they end. */
  signal: AbortSignal;
  /** Set once the guard refused a request of this call. */
  readonly refusal: ServerError | undefined;
}

/** Where in the request a credential sits, for the message. */
type Place = 'in its address' | 'in a header' | 'in its body';

function hostOf(p: EgressPolicy, url: string): string {
  try {
    return hideCredentialsInHost(p, new URL(url).host, redact) || 'a host';
  } catch {
    return 'an address that is not a URL';
  }
}

function refusal(p: EgressPolicy, url: string, c: Credential, place: Place): ServerError {
  return new ServerError(
    'WorkspaceUntrusted',
    `refused: ${hostOf(p, url)} is named only by this folder's settings or .env, and the request would carry ${c.name} ${place}; nothing was sent`,
    { hint: TRUST_HINT },
  );
}

/** The refusal for this request, if it would carry an outside credential to a host the workspace chose. */
async function judge(p: EgressPolicy, input: Input, init: Init): Promise<{ refused?: ServerError; body?: Uint8Array }> {
  const parts = await requestParts(input, init);
  let host = '';
  try {
    host = new URL(parts.url).hostname;
  } catch {
    // Judged as text below.
  }
  const inUrl = findCredentialInHost(p, host) ?? findCredential(p, parts.url);
  if (inUrl) return { refused: refusal(p, parts.url, inUrl, 'in its address') };
  for (const [name, value] of parts.headers) {
    const c = findCredential(p, value) ?? findCredential(p, name);
    if (c) return { refused: refusal(p, parts.url, c, 'in a header') };
  }
  const inBody = findCredential(p, parts.body);
  if (inBody) return { refused: refusal(p, parts.url, inBody, 'in its body') };
  return parts.readBody ? { body: parts.readBody } : {};
}

/**
 * The one fetch every outgoing request goes through (each provider SDK, the
 * OAuth client): unless the folder is explicitly trusted, a request to a host
 * that only the workspace chose is refused before anything is sent when it
 * carries a credential from outside the workspace, wherever it sits.
 */
export class EgressGuard {
  constructor(private readonly o: EgressGuardOptions) {}

  /** For clients that do not retry on their own: a refusal is thrown as WorkspaceUntrusted. */
  readonly fetch: typeof fetch = (input, init) => this.send(input, init);

  call(signal?: AbortSignal): EgressCall {
    const stop = new AbortController();
    let refused: ServerError | undefined;
    const fetch: typeof globalThis.fetch = (input, init) =>
      this.send(input, init, (e) => {
        refused ??= e;
        stop.abort(e);
      });
    return {
      fetch,
      signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal,
      get refusal() {
        return refused;
      },
    };
  }

  private async send(input: Input, init: Init, onRefused?: (e: ServerError) => void): Promise<Response> {
    const p = await this.o.policy();
    let sent = init;
    if (needsJudging(p, urlOf(input))) {
      const j = await judge(p, input, init);
      if (j.refused) {
        onRefused?.(j.refused);
        throw j.refused;
      }
      // The stream was read to be judged: send what it held.
      if (j.body) sent = { ...init, body: j.body };
    }
    return (await this.o.send())(input, sent);
  }
}
