import { randomUUID } from 'node:crypto';
import { stat, unwatchFile, watchFile } from 'node:fs';
import { promisify } from 'node:util';
import { redact, ServerError } from '../../protocol/index.js';
import { describeNetworkError } from '../net/index.js';
import type { OAuthStatus } from '../status.js';
import { classifyOAuthError, type FailureReason, oauthClient } from './client.js';
import { type CredentialsFile, type QwenCredentials, readCredentials, removeCredentials, writeCredentials } from './credentials.js';
import { type OAuthEndpoints, resolveOAuthEndpoints } from './endpoints.js';
import { withOAuthLock } from './lock.js';

const statAsync = promisify(stat);

/** Refresh this long before the access token expires (Qwen Code's margin). */
const REFRESH_MARGIN_MS = 30_000;
/** Qwen's server sends no interval; Qwen Code polls every 2 s. */
const DEFAULT_INTERVAL_S = 2;

export interface LoginStarted {
  loginId: string;
  verificationUri: string;
  verificationUriComplete: string;
  userCode: string;
  expiresAt: string;
  interval: number;
}

export interface LoginEnded {
  loginId: string;
  state: 'signedIn' | 'error';
  reason?: FailureReason;
  message?: string;
  expiresAt?: string;
}

export interface OAuthChanged {
  state: OAuthStatus['state'];
  expiresAt?: string;
  message?: string;
}

export interface QwenOAuthOptions {
  credsPath: string;
  lockPath: string;
  env: NodeJS.ProcessEnv;
  fetch: () => Promise<typeof fetch>;
  onLoginEnded(e: LoginEnded): void;
  /** The credential changed: refreshed, expired, removed, or written by another process. */
  onChanged(e: OAuthChanged): void;
  log?(message: string): void;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Qwen OAuth for one server process: the device login (RFC 8628 with PKCE),
 * the shared credential file, and its refresh under Qwen Code's lock.
 */
export class QwenOAuth {
  private pending: { id: string; abort: AbortController } | undefined;
  private file: CredentialsFile = { kind: 'missing' };
  private fileMtime = -1;
  private refreshTimer: NodeJS.Timeout | undefined;
  private watching = false;
  private lastError: string | undefined;
  /** The state last reported through status() or onChanged, so that changes are told once. */
  private told = '';

  constructor(private readonly o: QwenOAuthOptions) {}

  private endpoints(): OAuthEndpoints {
    return resolveOAuthEndpoints(this.o.env);
  }

  private async client() {
    return oauthClient(this.endpoints(), await this.o.fetch());
  }

  /** Re-reads the credential file when it changed on disk. */
  private async load(): Promise<CredentialsFile> {
    const mtime = await statAsync(this.o.credsPath).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    if (mtime !== this.fileMtime) {
      this.file = await readCredentials(this.o.credsPath);
      this.fileMtime = mtime;
    }
    return this.file;
  }

  private async save(creds: QwenCredentials): Promise<void> {
    await writeCredentials(this.o.credsPath, creds);
    this.file = { kind: 'ok', creds, mtimeMs: Date.now() };
    // Our own write is not news from another process.
    this.fileMtime = await statAsync(this.o.credsPath).then((s) => s.mtimeMs, () => -1);
    this.scheduleRefresh();
  }

  async status(): Promise<OAuthStatus> {
    const f = await this.load();
    const waiting = 'waiting for the sign-in to be approved in the browser';
    if (this.pending && f.kind !== 'ok') return { state: 'pending', message: waiting };
    if (f.kind === 'missing') return { state: 'signedOut', ...(this.lastError ? { message: this.lastError } : {}) };
    if (f.kind === 'invalid') return { state: 'error', message: f.reason };
    const s: OAuthStatus = {
      state: f.creds.expiry_date > Date.now() ? 'signedIn' : 'expired',
      expiresAt: iso(f.creds.expiry_date),
      redactedToken: redact(f.creds.access_token),
      ...(f.creds.resource_url ? { resourceUrl: f.creds.resource_url } : {}),
    };
    if (this.lastError) s.message = this.lastError;
    if (this.pending) s.message = `a new sign-in is ${waiting}`;
    this.told = s.state;
    return s;
  }

  private changed(e: OAuthChanged): void {
    this.told = e.state;
    this.o.onChanged(e);
  }

  async startLogin(): Promise<LoginStarted> {
    const { oc, config } = await this.client();
    this.cancel(this.pending?.id ?? '');
    const verifier = oc.randomPKCECodeVerifier();
    const challenge = await oc.calculatePKCECodeChallenge(verifier);
    let device;
    try {
      device = await oc.initiateDeviceAuthorization(config, {
        scope: this.endpoints().scope,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
    } catch (err) {
      const c = classifyOAuthError(oc, err, (e) => describeNetworkError(e, this.endpoints().deviceAuthorizationUrl));
      throw new ServerError('LoginFailed', `could not start the Qwen OAuth sign-in: ${c.message}`, {
        reason: c.reason,
        ...(c.status ? { status: c.status } : {}),
      });
    }
    const loginId = randomUUID();
    const abort = new AbortController();
    this.pending = { id: loginId, abort };
    const interval = device.interval ?? DEFAULT_INTERVAL_S;
    const expiresAtMs = Date.now() + device.expires_in * 1000;
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(device.expires_in * 1000)]);
    const complete = device.verification_uri_complete ?? `${device.verification_uri}?user_code=${encodeURIComponent(device.user_code)}`;
    void (async () => {
      let end: LoginEnded;
      try {
        const tokens = await oc.pollDeviceAuthorizationGrant(config, { ...device, interval }, { code_verifier: verifier }, { signal });
        const expiresIn = tokens.expires_in ?? 3600;
        const creds: QwenCredentials = {
          access_token: tokens.access_token,
          token_type: tokens.token_type ?? 'Bearer',
          expiry_date: Date.now() + expiresIn * 1000,
          ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
          ...(typeof tokens.resource_url === 'string' ? { resource_url: tokens.resource_url } : {}),
          ...(tokens.id_token ? { id_token: tokens.id_token } : {}),
        };
        if (abort.signal.aborted) throw abort.signal.reason;
        await this.save(creds);
        this.lastError = undefined;
        end = { loginId, state: 'signedIn', expiresAt: iso(creds.expiry_date) };
      } catch (err) {
        const c = abort.signal.aborted
          ? { reason: 'cancelled' as const, message: 'the sign-in was cancelled' }
          : signal.aborted
            ? { reason: 'expired' as const, message: 'the code expired before it was approved; start again' }
            : classifyOAuthError(oc, err, (e) => describeNetworkError(e, this.endpoints().tokenUrl));
        end = { loginId, state: 'error', reason: c.reason, message: c.message };
      }
      if (this.pending?.id === loginId) this.pending = undefined;
      this.o.onLoginEnded(end);
    })();
    return {
      loginId,
      verificationUri: device.verification_uri,
      verificationUriComplete: complete,
      userCode: device.user_code,
      expiresAt: iso(expiresAtMs),
      interval,
    };
  }

  /** The tokens in hand, for scrubbing log lines. */
  *secrets(): Iterable<string> {
    if (this.file.kind !== 'ok') return;
    yield this.file.creds.access_token;
    if (this.file.creds.refresh_token) yield this.file.creds.refresh_token;
  }

  cancel(loginId: string): boolean {
    if (!this.pending || this.pending.id !== loginId) return false;
    this.pending.abort.abort();
    return true;
  }

  async logout(): Promise<void> {
    this.cancel(this.pending?.id ?? '');
    await withOAuthLock(this.o.lockPath, () => removeCredentials(this.o.credsPath));
    await this.load();
    this.changed({ state: 'signedOut' });
  }

  /** A usable access token: refreshed first when it expires within 30 s. Null when signed out. */
  async credentials(): Promise<{ accessToken: string; resourceUrl?: string } | null> {
    const f = await this.load();
    if (f.kind !== 'ok') return null;
    let creds = f.creds;
    if (creds.expiry_date - Date.now() <= REFRESH_MARGIN_MS) {
      const refreshed = await this.refresh();
      if (!refreshed) return null;
      creds = refreshed;
    }
    return { accessToken: creds.access_token, ...(creds.resource_url ? { resourceUrl: creds.resource_url } : {}) };
  }

  /**
   * Refreshes under the shared lock, and only if the file is still expiring
   * once the lock is held: another process may have refreshed already.
   */
  private async refresh(): Promise<QwenCredentials | null> {
    const { oc, config } = await this.client();
    const known = this.file.kind === 'ok' ? this.file.creds.access_token : undefined;
    return withOAuthLock(this.o.lockPath, async () => {
      this.fileMtime = -1;
      const f = await this.load();
      if (f.kind !== 'ok') return null;
      if (f.creds.expiry_date - Date.now() > REFRESH_MARGIN_MS) {
        // Another process refreshed while we waited for the lock.
        if (f.creds.access_token !== known) {
          this.scheduleRefresh();
          this.changed({ state: 'signedIn', expiresAt: iso(f.creds.expiry_date) });
        }
        return f.creds;
      }
      if (!f.creds.refresh_token) {
        this.changed({ state: 'expired', expiresAt: iso(f.creds.expiry_date), message: 'the token expired and cannot be refreshed; sign in again' });
        return null;
      }
      try {
        const t = await oc.refreshTokenGrant(config, f.creds.refresh_token);
        const creds: QwenCredentials = {
          ...f.creds,
          access_token: t.access_token,
          token_type: t.token_type ?? f.creds.token_type,
          // Keep the old refresh token when the answer has none.
          refresh_token: t.refresh_token ?? f.creds.refresh_token,
          expiry_date: Date.now() + (t.expires_in ?? 3600) * 1000,
          ...(typeof t.resource_url === 'string' ? { resource_url: t.resource_url } : {}),
        };
        await this.save(creds);
        this.lastError = undefined;
        this.changed({ state: 'signedIn', expiresAt: iso(creds.expiry_date) });
        return creds;
      } catch (err) {
        if (err instanceof oc.ResponseBodyError && (err.status === 400 || err.status === 401)) {
          await removeCredentials(this.o.credsPath);
          this.fileMtime = -1;
          await this.load();
          this.lastError = 'the Qwen OAuth session ended (the server refused to refresh it); sign in again';
          this.changed({ state: 'signedOut', message: this.lastError });
          return null;
        }
        const c = classifyOAuthError(oc, err, (e) => describeNetworkError(e, this.endpoints().tokenUrl));
        this.lastError = `could not refresh the Qwen OAuth token: ${c.message}`;
        this.changed({ state: 'error', expiresAt: iso(f.creds.expiry_date), message: this.lastError });
        this.scheduleRefresh(30_000);
        return null;
      }
    });
  }

  private scheduleRefresh(retryInMs?: number): void {
    clearTimeout(this.refreshTimer);
    if (!this.watching || this.file.kind !== 'ok') return;
    const due = retryInMs ?? Math.max(this.file.creds.expiry_date - REFRESH_MARGIN_MS - Date.now(), 0);
    // Timers beyond ~24 days overflow; a far expiry is looked at again later.
    this.refreshTimer = setTimeout(() => void this.credentials().catch((e) => this.o.log?.(String(e))), Math.min(due, 2 ** 31 - 1));
    this.refreshTimer.unref();
  }

  /** While the server runs: refresh before expiry, and notice other processes' logins, refreshes and logouts. */
  async start(): Promise<void> {
    this.watching = true;
    const f = await this.load();
    this.scheduleRefresh();
    // Another process may have refreshed since status() was last asked.
    if (f.kind === 'ok' && f.creds.expiry_date > Date.now() && this.told === 'expired') {
      this.changed({ state: 'signedIn', expiresAt: iso(f.creds.expiry_date) });
    }
    watchFile(this.o.credsPath, { interval: 250, persistent: false }, () => void this.onFileChanged());
  }

  private async onFileChanged(): Promise<void> {
    const before = this.fileMtime;
    const f = await this.load();
    if (this.fileMtime === before) return;
    this.scheduleRefresh();
    if (f.kind === 'ok') this.changed({ state: f.creds.expiry_date > Date.now() ? 'signedIn' : 'expired', expiresAt: iso(f.creds.expiry_date) });
    else if (f.kind === 'missing') this.changed({ state: 'signedOut' });
    else this.changed({ state: 'error', message: f.reason });
  }

  dispose(): void {
    this.watching = false;
    clearTimeout(this.refreshTimer);
    unwatchFile(this.o.credsPath);
    this.cancel(this.pending?.id ?? '');
  }
}
