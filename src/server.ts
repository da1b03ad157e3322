#!/usr/bin/env node
/**
 * The entry point: flags, the connection and the lifecycle. It answers
 * `initialize` from plain data while the rest (schemas, config graph,
 * handlers) loads; requests wait for it.
 */
import { createMessageConnection, ErrorCodes, ResponseError, StreamMessageReader } from 'vscode-jsonrpc/node';
import type { App } from './app.js';
import { HELP, parseCli, UsageError, type CliArgs } from './cli/args.js';
import {
  createContentTypeDecoder,
  endWithClient,
  FrameWriter,
  type Handle,
  type Lifecycle,
  Logger,
  registerMethods,
  watchParent,
} from './connection/index.js';
import { NOTIFICATION_METHODS, PROTOCOL_VERSION, REQUEST_METHODS } from './protocol/names.js';
import { VERSION } from './version.js';

function serve(args: CliArgs): void {
  const log = new Logger(args.logFile);
  const writer = new FrameWriter(process.stdout);
  const reader = new StreamMessageReader(process.stdin, {
    charset: 'utf-8',
    contentTypeDecoder: createContentTypeDecoder(() => writer),
  });
  const conn = createMessageConnection(reader, writer);
  // Nothing but protocol frames may reach stdout.
  console.log = console.info = console.warn = console.debug = (...a: unknown[]) => log.info(a.map(String).join(' '));
  const life: Lifecycle = { initialized: false, shutdown: false };
  // A long-lived server: a failure in background work (a watcher, a refresh) is logged, never fatal.
  process.on('unhandledRejection', (err) => log.error(`background task failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  log.addSink((level, line) => {
    if (!life.initialized) return;
    const type = { error: 1, warn: 2, info: 3, debug: 4 }[level];
    void conn.sendNotification('window/logMessage', { type, message: line });
  });
  let app: Promise<App> | undefined;
  const handle: Handle = async (method, raw, token) => {
    try {
      return await (await app!).handle(method, raw, token);
    } catch (err) {
      log.error(`the server could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return new ResponseError(-32603, 'the server could not start; details are in the server log');
    }
  };

  conn.onRequest('initialize', (raw: unknown) => {
    if (life.initialized) return new ResponseError(ErrorCodes.InvalidRequest, 'the server is already initialized');
    const pid = (raw as { processId?: unknown } | null)?.processId;
    if (typeof pid === 'number' && args.clientProcessId === undefined) watchParent(pid, life);
    app = import('./app.js').then((m) =>
      m.startApp(raw, args, {
        log,
        notifier: { notify: (method, params) => void conn.sendNotification(method, params) },
        showDocument: (uri) => {
          void conn.sendRequest('window/showDocument', { uri, external: true }).catch(() => undefined);
        },
      }),
    );
    life.initialized = true;
    return {
      serverInfo: { name: 'qwen-agent-server', version: VERSION },
      capabilities: {
        experimental: {
          qwenAgent: { protocolVersion: PROTOCOL_VERSION, methods: [...REQUEST_METHODS], notifications: [...NOTIFICATION_METHODS] },
        },
      },
    };
  });
  conn.onNotification('initialized', () => void app?.then((a) => a.started(), () => undefined));
  conn.onRequest('shutdown', async () => {
    life.shutdown = true;
    await app?.then((a) => a.dispose(), () => undefined);
    return null;
  });
  endWithClient(conn, process.stdin, life);
  if (args.clientProcessId !== undefined) watchParent(args.clientProcessId, life);
  registerMethods(conn, REQUEST_METHODS, life, () => (app ? handle : undefined));
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
