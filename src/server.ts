#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import {
  createConnection,
  type InitializeResult as LspInitializeResult,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver/node';
import { HELP, parseCli, UsageError, type CliArgs } from './cli/args.js';
import { createContentTypeDecoder, type Lifecycle, Logger, registerHandlers } from './connection/index.js';
import { createServices } from './handlers/index.js';
import { InitializeParams, Notifications, PROTOCOL_VERSION } from './protocol/index.js';
import { VERSION } from './version.js';

function cwdFrom(args: CliArgs, init: InitializeParams): string {
  const opts = init.initializationOptions ?? {};
  const folder = init.workspaceFolders?.[0]?.uri ?? init.rootUri ?? undefined;
  if (args.cwd) return args.cwd;
  if (opts.cwd) return opts.cwd;
  if (folder?.startsWith('file:')) return fileURLToPath(folder);
  if (init.rootPath) return init.rootPath;
  return process.cwd();
}

function serve(args: CliArgs): void {
  const log = new Logger(args.logFile);
  const writer = new StreamMessageWriter(process.stdout);
  const reader = new StreamMessageReader(process.stdin, {
    charset: 'utf-8',
    contentTypeDecoder: createContentTypeDecoder(() => writer),
  });
  const conn = createConnection(reader, writer);
  // Nothing but protocol frames may reach stdout.
  console.log = console.info = console.warn = console.debug = (...a: unknown[]) => log.info(a.map(String).join(' '));
  log.addSink((level, line) => {
    if (!life.initialized) return;
    const type = { error: 1, warn: 2, info: 3, debug: 4 }[level];
    void conn.sendNotification('window/logMessage', { type, message: line });
  });
  const life: Lifecycle = { initialized: false, shutdown: false };
  let services: Awaited<ReturnType<typeof createServices>> | undefined;

  conn.onInitialize(async (raw): Promise<LspInitializeResult> => {
    const parsed = InitializeParams.safeParse(raw);
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
    services = await createServices({
      processEnv: process.env,
      cwd: cwdFrom(args, init),
      overrides: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
      log,
      notifier: { notify: (method, params) => void conn.sendNotification(method, params) },
      canShowDocument: init.capabilities?.window?.showDocument?.support === true,
      showDocument: (uri) => {
        void conn.sendRequest('window/showDocument', { uri, external: true }).catch(() => undefined);
      },
    });
    life.initialized = true;
    return {
      serverInfo: { name: 'qwen-agent-server', version: VERSION },
      capabilities: {
        experimental: {
          qwenAgent: {
            protocolVersion: PROTOCOL_VERSION,
            methods: Object.keys(services.handlers),
            notifications: Object.keys(Notifications),
          },
        },
      },
    };
  });
  conn.onInitialized(() => services?.started());
  conn.onShutdown(async () => {
    life.shutdown = true;
    await services?.dispose();
  });
  registerHandlers(conn, () => services?.handlers, life, log);
  conn.listen();
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseCli(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`qwen-agent-server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (args.command === 'help') return void process.stdout.write(`${HELP}\n`);
  if (args.command === 'version') return void process.stdout.write(`${VERSION}\n`);
  if (args.command === 'status') {
    const { runStatus } = await import('./cli/status.js');
    process.exitCode = await runStatus(args);
    return;
  }
  serve(args);
}

void main();
