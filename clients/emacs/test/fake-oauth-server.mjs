// A stand-in for qwen-agent-server that knows only what the Qwen OAuth
// sign-in UI needs, so that the client's side of the flow (code buffer,
// window/showDocument, auth/didChange, cancel, mode line) is tested even
// where the real server's OAuth cannot run. The real flow is tested against
// the real server in qwen-agent-tests-oauth-login.
//
// Speaks JSON-RPC with LSP framing on stdio. The test approves a pending
// login with the notification `test/approve`.
let buffer = Buffer.alloc(0);
let nextId = 1000;
let signedIn = false;
let pending = null;
let showDocument = false;
let seq = 0;

function send(msg) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

const model = () => ({
  id: 'coder-model', name: 'Coder', authType: 'qwen-oauth', selected: true,
  available: signedIn, source: { layer: 'builtin' },
  ...(signedIn ? {} : { unavailableReason: 'not signed in to Qwen OAuth' }),
});
const selected = { authType: 'qwen-oauth', id: 'coder-model', source: { layer: 'default' } };

function end(state, reason) {
  const p = pending;
  pending = null;
  if (state === 'signedIn') signedIn = true;
  send({ method: 'auth/didChange', params: { method: 'qwen-oauth', authType: 'qwen-oauth', state, loginId: p.loginId, ...(reason ? { reason } : {}) } });
}

function handle(msg) {
  const { id, method, params } = msg;
  const reply = (result) => send({ id, result });
  switch (method) {
    case 'initialize':
      showDocument = params?.capabilities?.window?.showDocument?.support === true;
      return reply({ serverInfo: { name: 'fake', version: '0' }, capabilities: { experimental: { qwenAgent: { protocolVersion: 2 } } } });
    case 'model/list':
      return reply({ selected, groups: [{ authType: 'qwen-oauth', label: 'Qwen OAuth', models: [model()] }] });
    case 'auth/status':
      return reply({ active: 'qwen-oauth', activeSource: null, methods: [] });
    case 'auth/login': {
      if (pending) end('error', 'cancelled');
      seq += 1;
      const userCode = `FAKE-00${seq}`;
      const uri = `http://127.0.0.1:9/device?user_code=${userCode}`;
      pending = { loginId: `login-${seq}` };
      reply({ loginId: pending.loginId, state: 'pending', verificationUri: 'http://127.0.0.1:9/device', verificationUriComplete: uri, userCode, expiresAt: new Date(Date.now() + 600_000).toISOString(), interval: 5 });
      if (params?.openBrowser !== false && showDocument) send({ id: nextId++, method: 'window/showDocument', params: { uri, external: true } });
      return;
    }
    case 'auth/cancel': {
      const ok = pending?.loginId === params?.loginId;
      reply({ cancelled: ok });
      if (ok) end('error', 'cancelled');
      return;
    }
    case 'test/approve':
      if (pending) end('signedIn');
      return;
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
