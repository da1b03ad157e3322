import type { Logger } from '../connection/logger.js';
import type { HandlerTable } from '../connection/router.js';
import type { OAuthView, Overrides } from '../config/index.js';
import { type Notifier, WorkspaceState } from '../session/workspace.js';
import type { HandlerContext } from './context.js';
import { ServerError } from '../protocol/index.js';
import { announceCredentialChanges, getAuthStatus, login, logout, type OAuthPort } from './auth.js';
import { listModels, selectModel } from './model.js';
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
  oauth?: OAuthPort;
  /** Proxy-aware fetch for every outgoing request. */
  fetch?: typeof fetch;
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
  const oauth: OAuthPort = opts.oauth ?? signedOutOAuth();
  let oauthState: OAuthView = { state: 'signedOut' };
  const oauthView = (): OAuthView => oauthState;
  const s0 = await oauth.status();
  oauthState = { state: s0.state, ...(s0.message ? { message: s0.message } : {}) };
  const state = new WorkspaceState(
    { processEnv: opts.processEnv, cwd: opts.cwd, overrides: opts.overrides },
    oauthView,
    opts.notifier,
  );
  await state.init();
  opts.log.knowSecrets(() => secretsOf(state));
  state.onRecompute((before, after) => announceCredentialChanges({ notifier: opts.notifier }, before, after));
  const ctx: HandlerContext = {
    state,
    log: opts.log,
    notifier: opts.notifier,
    canShowDocument: opts.canShowDocument,
    showDocument: opts.showDocument,
  };
  const remote = new RemoteModels();
  const providerDeps: ProviderDeps = { oauth, ...(opts.fetch ? { fetch: opts.fetch } : {}) };
  const handlers: HandlerTable = {
    'config/resolve': () => resolvedConfigView(state.graph),
    'model/list': async (p) => {
      const warnings = p.refresh ? await remote.refresh(state.graph, providerDeps) : [];
      const r = listModels(ctx, remote.all());
      return warnings.length > 0 ? { ...r, warnings } : r;
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
    started: () => state.watch(),
    dispose: () => state.dispose(),
  };
}

/** Every secret value the server knows of: log lines are scrubbed of them. */
function* secretsOf(state: WorkspaceState): Iterable<string> {
  const g = state.graph;
  for (const [name, e] of g.env) {
    if (e.value.length >= 8 && (/(_KEY|_TOKEN|_SECRET)$/i.test(name) || g.catalogue.some((m) => m.envKey === name))) yield e.value;
  }
}

/** Until Qwen OAuth is wired in: always signed out, login refused with a reason. */
function signedOutOAuth(): OAuthPort {
  return {
    status: async () => ({ state: 'signedOut' }),
    startLogin: async () => {
      throw new ServerError('LoginFailed', 'Qwen OAuth is not available in this build');
    },
    cancel: () => false,
    logout: async () => {},
    credentials: async () => null,
  };
}
