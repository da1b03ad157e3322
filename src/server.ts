#!/usr/bin/env node
/**
 * The entry point: flags, the connection and the lifecycle. It answers
 * `initialize` from plain data while the rest (schemas, config graph,
 * handlers) loads; requests wait for it.
 */
import { createConnection, ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import type { App } from './app.js';
import { type CliArgs, HELP, parseCli, UsageError } from './cli/args.js';
import { checkInitialize, type Handle, LazyApp, type Lifecycle, Logger, notInitialized, openTransport, registerMethods } from './connection/index.js';
import { NOTIFICATION_METHODS, PROTOCOL_VERSION, REQUEST_METHODS } from './protocol/names.js';
import { VERSION } from './version.js';

const describe = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

function serve(args: CliArgs): void {
  const log = new Logger(args.logFile);
  const { reader, writer, reject } = openTransport(args.transport, (reason) => log.warn(`dropped input from the client: ${reason}`));
  // vscode-languageserver: initialize → initialized → shutdown → exit with
  // LSP's exit codes, and the editor's process watched (processId, --clientProcessId).
  const conn = createConnection(reader, writer, { messageStrategy: checkInitialize(reject) });
  // Nothing but protocol frames may reach stdout.
  console.log = console.info = console.warn = console.debug = (...a: unknown[]) => log.info(a.map(String).join(' '));
  const life: Lifecycle = { initialized: false, shutdown: false };
  // The client is gone (stdin closed, the socket or IPC channel dropped): end as `exit` would.
  reader.onClose(() => process.exit(life.shutdown ? 0 : 1));
  // A long-lived server: a failure in background work (a watcher, a refresh) is logged, never fatal.
  process.on('unhandledRejection', (err) => log.error(`background task failed: ${describe(err)}`));
  // window/logMessage, once there is a client to read it.
  const toClient = { error: 'error', warn: 'warn', info: 'info', debug: 'log' } as const;
  log.addSink((level, line) => {
    if (life.initialized) conn.console[toClient[level]](line);
  });

  let init: unknown;
  const app = new LazyApp<App>(
    () =>
      import('./app.js').then((m) =>
        m.startApp(init, args, {
          log,
          notifier: { notify: (method, params) => void conn.sendNotification(method, params) },
          showDocument: (uri) => {
            void conn.sendRequest('window/showDocument', { uri, external: true }).catch(() => undefined);
          },
        }),
      ),
    (err) => log.error(`the server could not start (the next request tries again): ${describe(err)}`),
  );
  const handle: Handle = async (method, raw, token) => {
    let started: App;
    try {
      started = await app.get();
    } catch {
      return new ResponseError(ErrorCodes.InternalError, 'the server could not start; details are in the server log');
    }
    return started.handle(method, raw, token);
  };

  conn.onInitialize((params) => {
    if (life.initialized) return new ResponseError(ErrorCodes.InvalidRequest, 'the server is already initialized');
    init = params;
    life.initialized = true;
    void app.get().catch(() => undefined);
    return {
      serverInfo: { name: 'qwen-agent-server', version: VERSION },
      capabilities: {
        experimental: {
          qwenAgent: { protocolVersion: PROTOCOL_VERSION, methods: [...REQUEST_METHODS], notifications: [...NOTIFICATION_METHODS] },
        },
      },
    };
  });
  conn.onInitialized(() => app.markInitialized());
  conn.onShutdown(async () => {
    if (!life.initialized) return notInitialized();
    life.shutdown = true;
    await app.dispose();
  });
  registerMethods(conn, REQUEST_METHODS, life, handle);
  conn.listen();
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  if (args.command === 'help') return void process.stdout.write(`${HELP}\n`);
  if (args.command === 'version') return void process.stdout.write(`${VERSION}\n`);
  if (args.command === 'status') {
    const { runStatus } = await import('./cli/status.js');
    process.exitCode = await runStatus(args);
    return;
  }
  // Each loads only for its own command: serving never pays for them.
  if (args.command === 'token') return void (process.exitCode = await (await import('./cli/token.js')).runToken(args));
  if (args.command === 'env') return void (process.exitCode = await (await import('./cli/env.js')).runEnv(args));
  if (args.command === 'exec') return void (process.exitCode = await (await import('./cli/exec.js')).runExec(args));
  serve(args);
}

main().catch((err: unknown) => {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`qwen-agent-server: ${err.message}\n`);
  process.exit(2);
});
