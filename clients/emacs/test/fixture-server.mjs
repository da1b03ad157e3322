// A stand-in for qwen-agent-server that answers from a fixture, for what the
// real server cannot be made to say on cue: a notice or a group title on a
// preset, fields given from Lisp, keys that failed their check, settings
// errors from several files. A preset added to the real server's table is
// tested against a build of it that has one (test/support/fixture-preset.ts,
// qwen-agent-tests-login-fixture-preset-real-server); the real server's
// whole menu in qwen-agent-tests-login-menu-real-server.
//
// Speaks JSON-RPC with LSP framing on stdio. QWEN_AGENT_FIXTURE names a JSON
// file: { menu, status, login: { <method>: result | { error } }, models,
// config, diagnostics: [{ uri, diagnostics }], expectKey }. Every request is
// appended, as a JSON line { method, params }, to the file
// QWEN_AGENT_FIXTURE_LOG names, a key replaced by whether it is expectKey.
import { appendFileSync, readFileSync } from 'node:fs';

const fixture = JSON.parse(readFileSync(process.env.QWEN_AGENT_FIXTURE, 'utf8'));
const log = process.env.QWEN_AGENT_FIXTURE_LOG;
let buffer = Buffer.alloc(0);

function send(msg) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

const models = fixture.models ?? { selected: null, groups: [] };
const config = fixture.config ?? { cwd: process.cwd(), layers: [], dotenvFiles: [], settings: {}, env: {}, diagnostics: [] };
const status = fixture.status ?? { active: null, activeSource: null, methods: [] };

function handle(msg) {
  const { id, method, params } = msg;
  if (log && method) {
    // Never write a key to a file, even a test's: say only whether it is the expected one.
    const logged = params && typeof params.apiKey === 'string'
      ? { ...params, apiKey: params.apiKey === fixture.expectKey ? '<the expected key>' : '<another key>' }
      : params;
    appendFileSync(log, `${JSON.stringify({ method, params: logged })}\n`);
  }
  const reply = (result) => send({ id, result });
  switch (method) {
    case 'initialize':
      return reply({
        serverInfo: { name: 'fixture', version: '0' },
        capabilities: {
          experimental: {
            qwenAgent: {
              protocolVersion: 2,
              methods: ['auth/status', 'auth/methods', 'auth/login', 'auth/cancel', 'auth/logout', 'model/list', 'model/select', 'config/resolve'],
              notifications: ['auth/didChange', 'model/didChange', 'config/didChange'],
            },
          },
        },
      });
    case 'initialized':
      for (const d of fixture.diagnostics ?? []) send({ method: 'textDocument/publishDiagnostics', params: d });
      return;
    case 'auth/methods':
      return reply({ methods: fixture.menu ?? [] });
    case 'auth/status':
      return reply(status);
    case 'model/list':
      return reply(models);
    case 'config/resolve':
      return reply(config);
    case 'auth/login': {
      const answer = fixture.login?.[params?.method];
      if (!answer) return send({ id, error: { code: -32602, message: `no login ${params?.method} in the fixture` } });
      if (answer.error) return send({ id, error: answer.error });
      reply(answer);
      if (answer.selected) send({ method: 'model/didChange', params: { selected: answer.selected } });
      return;
    }
    case 'shutdown':
      return reply(null);
    case 'exit':
      return process.exit(0);
    default:
      if (id !== undefined && method) send({ id, error: { code: -32601, message: `no ${method}` } });
  }
}

process.stdin.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const head = buffer.indexOf('\r\n\r\n');
    if (head < 0) return;
    const m = /Content-Length: (\d+)/i.exec(buffer.subarray(0, head).toString('latin1'));
    const len = Number(m?.[1] ?? 0);
    if (buffer.length < head + 4 + len) return;
    const body = buffer.subarray(head + 4, head + 4 + len).toString('utf8');
    buffer = buffer.subarray(head + 4 + len);
    handle(JSON.parse(body));
  }
});
process.stdin.on('end', () => process.exit(0));
