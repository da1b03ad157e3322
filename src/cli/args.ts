import { parseArgs } from 'node:util';
import { AUTH_TYPE_NAMES } from '../protocol/names.js';

type AuthType = (typeof AUTH_TYPE_NAMES)[number];

/** How the client reaches the server: LSP's four transports, as vscode-languageserver names them. */
export type TransportChoice = { kind: 'stdio' } | { kind: 'node-ipc' } | { kind: 'socket'; port: number } | { kind: 'pipe'; name: string };

/** How `env` prints the variables a tool reads (src/cli/shell-quote.ts). */
export const ENV_FORMATS = ['sh', 'fish', 'json', 'dotenv'] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

export interface CliArgs {
  command: 'serve' | 'status' | 'token' | 'env' | 'exec' | 'help' | 'version';
  json: boolean;
  color: boolean | undefined;
  model?: string;
  authType?: AuthType;
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  cwd?: string;
  logFile?: string;
  transport: TransportChoice;
  /** env: how the variables are printed. */
  format: EnvFormat;
  /** exec: the command and its arguments, everything after `--`. */
  exec: string[];
}

export const HELP = `qwen-agent-server: sign in to AI coding models and pick one, for any editor.

Usage:
  qwen-agent-server --stdio [options]    serve the JSON-RPC protocol on stdin/stdout
  qwen-agent-server --node-ipc           ... on the Node IPC channel of the parent process
  qwen-agent-server --socket=PORT        ... on a connection to 127.0.0.1:PORT
  qwen-agent-server --pipe=NAME          ... on a connection to the named pipe or unix socket NAME
  qwen-agent-server status [--json]      show the resolved config, sign-in state and models
                                         for the current directory
  qwen-agent-server token                print the Qwen OAuth access token (refreshed when due)
  qwen-agent-server env [--format F]     print the variables other tools read for the selected
                                         model (key, base URL, model id); F: sh | fish | json | dotenv
  qwen-agent-server exec -- CMD [ARGS]   run CMD with those variables in its environment

Options:
  -m, --model <id>              use this model for this process (never saved)
      --auth-type <type>        qwen-oauth | openai | anthropic | gemini | vertex-ai
      --openai-api-key <key>    OPENAI_API_KEY for this process
      --openai-base-url <url>   OPENAI_BASE_URL for this process
      --cwd <dir>               the project folder (default: the current directory)
      --log-file <path>         also write logs to this file
      --clientProcessId <pid>   end when this process does (as initialize's processId)
      --json                    (status) print JSON instead of a table
      --no-color                (status) no colours
      --format <f>              (env) sh (default) | fish | json | dotenv
  -v, --version                 print the version
  -h, --help                    print this help

Docs: docs/ in the package, or README.md.`;

const COMMANDS = ['status', 'token', 'env', 'exec'] as const;
type Command = (typeof COMMANDS)[number];

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseCli(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      // exec's command is what follows `--`, told apart from the other positionals by position.
      tokens: true,
      strict: true,
      options: {
        stdio: { type: 'boolean' },
        'node-ipc': { type: 'boolean' },
        socket: { type: 'string' },
        pipe: { type: 'string' },
        model: { type: 'string', short: 'm' },
        'auth-type': { type: 'string' },
        'openai-api-key': { type: 'string' },
        'openai-base-url': { type: 'string' },
        cwd: { type: 'string' },
        'log-file': { type: 'string' },
        json: { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        format: { type: 'string' },
        // Passed by some LSP clients, like initialize's processId; vscode-languageserver
        // reads it from process.argv itself and ends the server with that process.
        clientProcessId: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}\nRun qwen-agent-server --help for the options.`);
  }
  const v = parsed.values;
  const end = parsed.tokens.find((t) => t.kind === 'option-terminator')?.index ?? Infinity;
  const before = parsed.tokens.flatMap((t) => (t.kind === 'positional' && t.index < end ? [t.value] : []));
  const after = parsed.tokens.flatMap((t) => (t.kind === 'positional' && t.index > end ? [t.value] : []));
  const [first, ...rest] = before;
  if (first === 'exec' && rest.length > 0) throw new UsageError(`put the command after --, as in: qwen-agent-server exec -- ${rest.join(' ')}`);
  if (rest.length > 0 || (first !== undefined && !(COMMANDS as readonly string[]).includes(first))) {
    throw new UsageError(`unknown command: ${[first, ...rest].join(' ')}\nRun qwen-agent-server --help for the commands.`);
  }
  if (first === 'exec' && after.length === 0 && !v.help) {
    throw new UsageError('exec needs a command after --, as in: qwen-agent-server exec -- aider');
  }
  if (first !== 'exec' && end !== Infinity) throw new UsageError('only exec takes a command after --');
  let format: EnvFormat = 'sh';
  if (v.format !== undefined) {
    const f = ENV_FORMATS.find((x) => x === v.format);
    if (!f || first !== 'env') throw new UsageError(first === 'env' ? `--format must be one of ${ENV_FORMATS.join(', ')}` : '--format is for env only');
    format = f;
  }
  let authType: AuthType | undefined;
  if (v['auth-type'] !== undefined) {
    const a = AUTH_TYPE_NAMES.find((t) => t === v['auth-type']);
    if (!a) throw new UsageError(`--auth-type must be one of ${AUTH_TYPE_NAMES.join(', ')}`);
    authType = a;
  }
  const args: CliArgs = {
    command: v.help ? 'help' : v.version ? 'version' : ((first as Command | undefined) ?? 'serve'),
    json: v.json === true,
    color: v['no-color'] ? false : v.color,
    transport: transportOf(v),
    format,
    exec: after,
  };
  if (v.model !== undefined) args.model = v.model;
  if (authType) args.authType = authType;
  if (v['openai-api-key'] !== undefined) args.openaiApiKey = v['openai-api-key'];
  if (v['openai-base-url'] !== undefined) args.openaiBaseUrl = v['openai-base-url'];
  if (v.cwd !== undefined) args.cwd = v.cwd;
  if (v['log-file'] !== undefined) args.logFile = v['log-file'];
  return args;
}

function transportOf(v: { stdio?: boolean; 'node-ipc'?: boolean; socket?: string; pipe?: string }): TransportChoice {
  const chosen = [v.stdio && '--stdio', v['node-ipc'] && '--node-ipc', v.socket !== undefined && '--socket', v.pipe !== undefined && '--pipe'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`choose one transport, not ${chosen.join(' and ')}`);
  if (v['node-ipc']) return { kind: 'node-ipc' };
  if (v.socket !== undefined) {
    const port = Number(v.socket);
    if (!/^\d+$/.test(v.socket) || port < 1 || port > 65535) throw new UsageError('--socket needs a port number (1-65535)');
    return { kind: 'socket', port };
  }
  if (v.pipe !== undefined) {
    if (v.pipe === '') throw new UsageError('--pipe needs the name of a pipe or socket');
    return { kind: 'pipe', name: v.pipe };
  }
  return { kind: 'stdio' };
}
