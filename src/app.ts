/**
 * Everything behind the entry point, loaded while `initialize` is answered:
 * the schemas, the config graph and the handlers.
 */
import { fileURLToPath } from 'node:url';
import type { CliArgs } from './cli/args.js';
import type { Handle } from './connection/dispatch.js';
import type { Logger } from './connection/logger.js';
import { createHandle } from './connection/router.js';
import { createServices } from './handlers/index.js';
import { InitializeParams } from './protocol/index.js';
import type { Notifier } from './session/workspace.js';

export interface App {
  handle: Handle;
  /** After `initialized`: start watching files and refreshing tokens. */
  started(): void;
  dispose(): Promise<void>;
}

export interface AppDeps {
  log: Logger;
  notifier: Notifier;
  showDocument(uri: string): void;
}

function cwdFrom(args: CliArgs, init: InitializeParams): string {
  const opts = init.initializationOptions ?? {};
  const folder = init.workspaceFolders?.[0]?.uri ?? init.rootUri ?? undefined;
  if (args.cwd) return args.cwd;
  if (opts.cwd) return opts.cwd;
  if (folder?.startsWith('file:')) return fileURLToPath(folder);
  if (init.rootPath) return init.rootPath;
  return process.cwd();
}

export async function startApp(raw: unknown, args: CliArgs, deps: AppDeps): Promise<App> {
  const parsed = InitializeParams.safeParse(raw);
  if (!parsed.success) deps.log.warn('initialize params were not understood; using the defaults (the process folder, no options)');
  const init: InitializeParams = parsed.success ? parsed.data : {};
  const opts = init.initializationOptions ?? {};
  const pick = <T>(flag: T | undefined, opt: T | undefined) =>
    flag !== undefined ? { value: flag, layer: 'cli' as const } : opt !== undefined ? { value: opt, layer: 'initializationOptions' as const } : undefined;
  const overrides = {
    model: pick(args.model, opts.model),
    authType: pick(args.authType, opts.authType),
    openaiApiKey: pick(args.openaiApiKey, opts.openaiApiKey),
    openaiBaseUrl: pick(args.openaiBaseUrl, opts.openaiBaseUrl),
  };
  const services = await createServices({
    processEnv: process.env,
    cwd: cwdFrom(args, init),
    overrides: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    log: deps.log,
    notifier: deps.notifier,
    canShowDocument: init.capabilities?.window?.showDocument?.support === true,
    showDocument: deps.showDocument,
  });
  return { handle: createHandle(services.handlers, deps.log, services.secrets), started: services.started, dispose: services.dispose };
}
