import type { Logger } from '../connection/logger.js';
import type { HandlerTable } from '../connection/router.js';
import { join } from 'node:path';
import { type OAuthView, type Overrides, resolvePaths, stateDir, writes } from '../config/index.js';
import { type Notifier, WorkspaceState } from '../session/workspace.js';
import type { HandlerContext } from './context.js';
import type { ChatHandlers } from './chat.js';
import { createProxyFetch, EgressGuard } from '../auth/net/index.js';
import { QwenOAuth } from '../auth/qwen-oauth/index.js';
import { keepVerdictsIn } from '../auth/verified.js';
import { adoptQwenOAuth, announceCredentialChanges, getAuthMethods, getAuthStatus, login, logout, type OAuthPort, recordTestVerdict } from './auth.js';
import { currentEgressPolicy, withResourceUrl } from './egress.js';
import { cachedModelList, findModel, listModels, selectModel } from './model.js';
import { type ProviderDeps, RemoteModels, testModel } from './provider.js';
import { knownSecrets, scrubbingNotifier } from './secrets.js';
import { resolvedConfigView } from './views.js';
import { trustWorkspace } from './workspace.js';

// What the command-line hand-over (src/cli) applies exactly as the server does.
export { currentEgressPolicy } from './egress.js';
export { findModel } from './model.js';
export { graphSecrets } from './secrets.js';

export interface ServiceOptions {
  processEnv: NodeJS.ProcessEnv;
  cwd: string;
  overrides: Overrides;
  log: Logger;
  notifier: Notifier;
  canShowDocument: boolean;
  showDocument(uri: string): void;
}

export interface Services {
  handlers: HandlerTable;
  state: WorkspaceState;
  /** Every secret value known now: answers, notifications and log lines are scrubbed of them. */
  secrets: () => Iterable<string>;
  /** After `initialized`: start watching files and refreshing tokens. */
  started(): void;
  dispose(): Promise<void>;
}

/** Builds the state of one server process and the handler of every method. */
export async function createServices(opts: ServiceOptions): Promise<Services> {
  let proxyFetch: Promise<typeof fetch> | undefined;
  // The one way out for every request (OAuth and providers): judged against the config as it is now.
  const egress = new EgressGuard({
    send: () => (proxyFetch ??= createProxyFetch(opts.processEnv)),
    policy: () => egressPolicy(),
  });
  const paths = resolvePaths(opts.processEnv, opts.cwd);
  // What providers said of keys, shared with every other process of this user (auth/status's verified).
  keepVerdictsIn(join(stateDir(opts.processEnv), 'verdicts.json'));
  let oauthState: OAuthView = { state: 'signedOut' };
  const oauthView = (): OAuthView => oauthState;
  // First asked once `state` and `qwen` below exist.
  const secrets = knownSecrets(() => state, () => qwen.secrets(), opts.processEnv);
  const notifier = scrubbingNotifier(opts.notifier, secrets);
  const qwen = new QwenOAuth({
    credsPath: paths.oauthCreds,
    lockPath: paths.oauthLock,
    env: opts.processEnv,
    fetch: async () => egress.fetch,
    log: (m) => opts.log.warn(m),
    // The graph is recomputed before the client hears of a change, so that
    // what it asks next (model/list, auth/status) already agrees with it.
    onLoginEnded: (e) => {
      const notify = () => notifier.notify('auth/didChange', { method: 'qwen-oauth', authType: 'qwen-oauth', ...e });
      oauthChanged()
        .finally(notify)
        .then(() => (e.state === 'signedIn' ? adoptQwenOAuth(ctx) : undefined))
        .catch((err: unknown) => opts.log.warn(`after the Qwen OAuth sign-in: ${err instanceof Error ? err.message : String(err)}`));
    },
    onChanged: (e) => {
      oauthChanged()
        .finally(() => notifier.notify('auth/didChange', { method: 'qwen-oauth', authType: 'qwen-oauth', ...e }))
        .catch((err: unknown) => opts.log.warn(`could not update the sign-in state: ${String(err)}`));
    },
  });
  const tracked = withResourceUrl(qwen);
  const oauth: OAuthPort = tracked.port;
  const egressPolicy = currentEgressPolicy(opts.processEnv, () => state.graph, { tokens: () => qwen.secrets(), resourceUrl: tracked.resourceUrl });
  const readOAuthState = async () => {
    const s = await oauth.status();
    oauthState = { state: s.state, ...(s.message ? { message: s.message } : {}), ...(s.resourceUrl ? { resourceUrl: s.resourceUrl } : {}) };
  };
  // coder-model's availability follows the sign-in state.
  const oauthChanged = async () => {
    await readOAuthState();
    await state.recompute();
  };
  await readOAuthState();
  const state = new WorkspaceState(
    { processEnv: opts.processEnv, cwd: opts.cwd, overrides: opts.overrides },
    oauthView,
    notifier,
  );
  opts.log.knowSecrets(secrets);
  await state.init();
  state.onRecompute((before, after) => announceCredentialChanges({ notifier }, before, after));
  const ctx: HandlerContext = {
    state,
    log: opts.log,
    notifier,
    canShowDocument: opts.canShowDocument,
    showDocument: opts.showDocument,
  };
  const remote = new RemoteModels();
  const modelList = cachedModelList(ctx, secrets);
  const providerDeps: ProviderDeps = { oauth, egress };
  // The chat code (src/chat, handlers/chat.ts) loads on the first chat/* request.
  let chatHandlers: Promise<ChatHandlers> | undefined;
  const chat = () =>
    (chatHandlers ??= import('./chat.js').then((m) =>
      m.createChatHandlers({ ctx, providers: providerDeps, remote: () => remote.all(), processEnv: opts.processEnv, cwd: opts.cwd, secrets }),
    ));
  const handlers: HandlerTable = {
    'config/resolve': () => resolvedConfigView(state.graph),
    'model/list': async (p) => {
      const warnings = p.refresh ? await remote.refresh(state.graph, providerDeps) : [];
      if (warnings.length === 0) return modelList(remote.all());
      const list = listModels(ctx, remote.all());
      return { ...list, warnings: [...(list.warnings ?? []), ...warnings] };
    },
    'model/select': (p) => selectModel(ctx, p, remote.all()),
    'model/test': async (p) => {
      const r = await testModel(ctx, providerDeps, p, remote.all());
      // The provider's word on the key goes to auth/status (verified).
      recordTestVerdict(ctx, () => findModel(state.graph, p, remote.all()), r);
      return r;
    },
    'auth/status': () => getAuthStatus(ctx, oauth),
    'auth/methods': () => getAuthMethods(),
    'auth/login': (p, _token, ctl) => login(ctx, oauth, p, egress, ctl),
    'auth/cancel': (p) => ({ cancelled: oauth.cancel(p.loginId) }),
    'auth/logout': (p) => logout(ctx, oauth, p),
    'workspace/trust': (p) => trustWorkspace(ctx, p),
    'chat/start': async (p) => (await chat()).start(p),
    'chat/send': async (p, token) => (await chat()).send(p, token),
    'chat/list': async () => (await chat()).list(),
    'chat/history': async (p) => (await chat()).history(p),
    'chat/delete': async (p) => (await chat()).delete(p),
  };
  return {
    handlers,
    state,
    secrets,
    started: () => {
      state.watch();
      // What writers killed mid-write left behind (a temp file may hold a key).
      writes()
        .then((w) => w.sweepAtStart(paths))
        .catch((err: unknown) => opts.log.warn(`could not clear what earlier writers left: ${String(err)}`));
      qwen.start().catch((err: unknown) => opts.log.warn(`Qwen OAuth could not watch its credential: ${String(err)}`));
    },
    dispose: async () => {
      qwen.dispose();
      await state.dispose();
    },
  };
}
