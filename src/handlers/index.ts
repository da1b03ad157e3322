import type { Logger } from '../connection/logger.js';
import type { HandlerTable } from '../connection/router.js';
import { type OAuthView, type Overrides, resolvePaths } from '../config/index.js';
import { type Notifier, WorkspaceState } from '../session/workspace.js';
import type { HandlerContext } from './context.js';
import { createFetch } from '../auth/net.js';
import { QwenOAuth } from '../auth/qwen-oauth/index.js';
import { adoptQwenOAuth, announceCredentialChanges, getAuthStatus, login, logout, type OAuthPort } from './auth.js';
import { cachedModelList, listModels, selectModel } from './model.js';
import { type ProviderDeps, RemoteModels, testModel } from './provider.js';
import { resolvedConfigView } from './views.js';
import { trustWorkspace } from './workspace.js';

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
  /** After `initialized`: start watching files and refreshing tokens. */
  started(): void;
  dispose(): Promise<void>;
}

/** Builds the state of one server process and the handler of every method. */
export async function createServices(opts: ServiceOptions): Promise<Services> {
  let fetchOnce: Promise<typeof fetch> | undefined;
  const getFetch = () => (fetchOnce ??= createFetch(opts.processEnv));
  const paths = resolvePaths(opts.processEnv, opts.cwd);
  let oauthState: OAuthView = { state: 'signedOut' };
  const oauthView = (): OAuthView => oauthState;
  const qwen = new QwenOAuth({
    credsPath: paths.oauthCreds,
    lockPath: paths.oauthLock,
    env: opts.processEnv,
    fetch: getFetch,
    log: (m) => opts.log.warn(m),
    // The graph is recomputed before the client hears of a change, so that
    // what it asks next (model/list, auth/status) already agrees with it.
    onLoginEnded: (e) => {
      const notify = () => opts.notifier.notify('auth/didChange', { method: 'qwen-oauth', authType: 'qwen-oauth', ...e });
      oauthChanged()
        .finally(notify)
        .then(() => (e.state === 'signedIn' ? adoptQwenOAuth(ctx) : undefined))
        .catch((err: unknown) => opts.log.warn(`after the Qwen OAuth sign-in: ${err instanceof Error ? err.message : String(err)}`));
    },
    onChanged: (e) => {
      oauthChanged()
        .finally(() => opts.notifier.notify('auth/didChange', { method: 'qwen-oauth', authType: 'qwen-oauth', ...e }))
        .catch((err: unknown) => opts.log.warn(`could not update the sign-in state: ${String(err)}`));
    },
  });
  const oauth: OAuthPort = qwen;
  const readOAuthState = async () => {
    const s = await oauth.status();
    oauthState = { state: s.state, ...(s.message ? { message: s.message } : {}) };
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
    opts.notifier,
  );
  await state.init();
  opts.log.knowSecrets(function* () {
    yield* secretsOf(state);
    yield* qwen.secrets();
  });
  state.onRecompute((before, after) => announceCredentialChanges({ notifier: opts.notifier }, before, after));
  const ctx: HandlerContext = {
    state,
    log: opts.log,
    notifier: opts.notifier,
    canShowDocument: opts.canShowDocument,
    showDocument: opts.showDocument,
  };
  const remote = new RemoteModels();
  const modelList = cachedModelList(ctx);
  const providerDeps: ProviderDeps = { oauth, fetch: getFetch };
  const handlers: HandlerTable = {
    'config/resolve': () => resolvedConfigView(state.graph),
    'model/list': async (p) => {
      const warnings = p.refresh ? await remote.refresh(state.graph, providerDeps) : [];
      return warnings.length > 0 ? { ...listModels(ctx, remote.all()), warnings } : modelList(remote.all());
    },
    'model/select': (p) => selectModel(ctx, p, remote.all()),
    'model/test': (p) => testModel(ctx, providerDeps, p, remote.all()),
    'auth/status': () => getAuthStatus(ctx, oauth),
    'auth/login': (p) => login(ctx, oauth, p),
    'auth/cancel': (p) => ({ cancelled: oauth.cancel(p.loginId) }),
    'auth/logout': (p) => logout(ctx, oauth, p),
    'workspace/trust': (p) => trustWorkspace(ctx, p),
  };
  return {
    handlers,
    state,
    started: () => {
      state.watch();
      qwen.start().catch((err: unknown) => opts.log.warn(`Qwen OAuth could not watch its credential: ${String(err)}`));
    },
    dispose: async () => {
      qwen.dispose();
      await state.dispose();
    },
  };
}

/** Every secret value the server knows of: log lines are scrubbed of them. */
function* secretsOf(state: WorkspaceState): Iterable<string> {
  const g = state.graph;
  for (const [name, e] of g.env) {
    if (e.value.length >= 8 && (/(_KEY|_TOKEN|_SECRET)$/i.test(name) || g.catalogue.some((m) => m.envKey === name))) yield e.value;
  }
}
