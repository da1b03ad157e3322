-- The server's life: :checkhealth, diagnostics in settings buffers, an exit
-- that is reported and a restart on next use, :Qwen trust, completion.
local T = require('runner')
local qwen = require('qwen')

qwen.setup({ statusline = { enabled = false } })
vim.o.statusline = '%!v:lua.require("qwen").statusline()'

local function health_text()
  vim.cmd('checkhealth qwen')
  local buf = vim.api.nvim_get_current_buf()
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  vim.cmd('bwipeout!')
  return text
end

T.test('the server does not start before it is needed when statusline.enabled = false', function()
  vim.wait(300)
  T.eq(qwen.client().status, 'stopped')
  T.eq(qwen.statusline(), '')
end)

T.test(':Qwen completes subcommands and their arguments', function()
  local subs = vim.fn.getcompletion('Qwen ', 'cmdline')
  for _, s in ipairs({ 'status', 'login', 'logout', 'model', 'test', 'config', 'trust' }) do
    T.ok(vim.tbl_contains(subs, s), s .. ' in ' .. vim.inspect(subs))
  end
  T.eq(vim.fn.getcompletion('Qwen lo', 'cmdline'), { 'log', 'login', 'logout' })
  -- Sign-in methods and their choices come from the server (auth/methods).
  local err, res = qwen.client():request_sync('auth/methods', nil, 10000)
  T.ok(not err, err and err.message)
  local ids, regions = {}, {}
  for _, o in ipairs(res.methods) do
    table.insert(ids, o.id)
    if o.id == 'coding-plan' then
      for _, f in ipairs(o.fields) do
        for _, c in ipairs(f.choices or {}) do table.insert(regions, c.value) end
      end
    end
  end
  T.ok(#ids > 3, 'the server lists its methods')
  T.eq(vim.fn.getcompletion('Qwen login ', 'cmdline'), ids)
  T.eq(vim.fn.getcompletion('Qwen login coding-plan ', 'cmdline'), regions)
  T.eq(vim.fn.getcompletion('Qwen logout ', 'cmdline'), ids)
  T.eq(vim.fn.getcompletion('Qwen model s', 'cmdline'), { 'session' })
end)

T.test(':checkhealth qwen reports OK: Neovim, the server and its version, sign-in, files', function()
  local text = health_text()
  T.contains(text, 'OK Neovim 0.')
  T.contains(text, 'OK command: ')
  T.contains(text, '/server.js')
  T.ok(text:find('OK version: %d+%.%d+%.%d+'), 'server version in ' .. text)
  T.contains(text, 'OK started in')
  T.contains(text, 'OK protocol version 2')
  T.contains(text, 'OK methods: ')
  T.contains(text, 'user settings: ' .. T.home .. '/.qwen/settings.json')
  T.not_contains(text, 'ERROR', 'no error in\n' .. text)
  T.eq(qwen.client().status, 'running')
end)

T.test(':checkhealth qwen shows the active auth and the selected model once signed in', function()
  local since = #T.notifications
  T.type_secret('sk-health-check-key-0123456789')
  vim.cmd('Qwen login api-key openai')
  T.wait_note('signed in: OPENAI_API_KEY', since)
  local text = health_text()
  T.contains(text, 'OK signed in: OpenAI-compatible key (OPENAI_API_KEY) sk-…6789')
  T.not_contains(text, 'sk-health-check-key-0123456789')
  T.not_contains(text, 'ERROR')
end)

T.test('diagnostics for a settings file show in its buffer and clear once fixed', function()
  local path = T.home .. '/.qwen/settings.json'
  T.write(path, '{\n  "model": { "name": 42 },\n  "security": {\n')
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  local ns = require('qwen.diagnostics').ns
  local diags = T.wait(function()
    local d = vim.diagnostic.get(buf, { namespace = ns })
    return #d > 0 and d
  end, 'diagnostics in the settings buffer')
  T.eq(diags[1].source ~= nil, true)
  T.ok(diags[1].message ~= '', 'a message')
  -- Fix it and write it: the server sees the change and clears them.
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { '{', '  "model": { "name": "coder-model" }', '}' })
  vim.cmd('silent write')
  local left = {}
  local cleared = vim.wait(20000, function()
    left = vim.tbl_map(function(x) return x.message end, vim.diagnostic.get(buf, { namespace = ns }))
    return #left == 0
  end, 20)
  T.ok(cleared, 'the diagnostics to clear, still: ' .. vim.inspect(left))
  vim.cmd('bwipeout!')
end)

T.test('diagnostics already published show when the file is opened later', function()
  local path = T.project .. '/.qwen/settings.json'
  T.write(path, '{ "modelProviders": { "openai": [ { "id": "x", "baseUrl": "not a url" } ] } }\n')
  T.wait(function()
    local d = require('qwen.diagnostics').get(path)
    return d and #d > 0
  end, 'the server to publish for ' .. path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  T.ok(#vim.diagnostic.get(buf, { namespace = require('qwen.diagnostics').ns }) > 0, 'diagnostics on open')
  vim.cmd('bwipeout!')
  vim.fn.delete(T.project .. '/.qwen', 'rf')
end)

T.test('the server exiting is reported, and the next command restarts it', function()
  local c = qwen.client()
  T.wait(function() return c.status == 'running' end, 'a running server')
  local since, since_ev = #T.notifications, #T.events
  local children = vim.api.nvim_get_proc_children(vim.fn.getpid())
  T.ok(#children > 0, 'the server is a child of Neovim')
  for _, pid in ipairs(children) do vim.uv.kill(pid, 'sigkill') end
  local n = T.wait_note('qwen-agent-server exited unexpectedly', since)
  T.eq(n.level, vim.log.levels.ERROR)
  T.contains(n.msg, 'signal 9')
  -- The log it names is the plugin's, and it exists.
  T.contains(n.msg, 'qwen.log')
  T.not_contains(n.msg, 'lsp.log')
  T.ok(vim.uv.fs_stat(require('qwen.log').path()), 'the log named exists')
  T.wait_event('QwenServerExited', function(d) return d.expected == false end, since_ev)
  T.eq(qwen.statusline(), 'Qwen: stopped')
  T.eq(c.status, 'exited')
  -- Next use: a new server.
  vim.cmd('Qwen status')
  local buf = T.wait(function()
    local b = vim.fn.bufnr('qwen://status')
    return b ~= -1 and vim.api.nvim_buf_line_count(b) > 3 and b
  end, 'the status buffer from a restarted server')
  T.eq(c.status, 'running')
  T.contains(table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'), 'OPENAI_API_KEY')
  vim.cmd('close')
  T.wait(function() return qwen.statusline():find('^Qwen: ') and qwen.statusline() ~= 'Qwen: stopped' end, 'the statusline to recover')
end)

T.test('requests queued or in flight when the server dies get an error, not silence', function()
  -- A loopback "authorization server" that accepts and never answers keeps
  -- auth/login pending on the server.
  local tcp = vim.uv.new_tcp()
  local conns = {}
  tcp:bind('127.0.0.1', 0)
  tcp:listen(8, function()
    local c = vim.uv.new_tcp()
    tcp:accept(c)
    table.insert(conns, c)
  end)
  local port = tcp:getsockname().port
  qwen.setup({
    statusline = { enabled = false },
    env = { QWEN_OAUTH_DEVICE_AUTHORIZATION_URL = ('http://127.0.0.1:%d/device'):format(port), QWEN_OAUTH_TOKEN_URL = ('http://127.0.0.1:%d/token'):format(port) },
  })
  local ok, err = pcall(function()
    local c = qwen.client()
    c:stop(2000)
    -- Queued: sent while the server is still starting.
    c:start()
    local queued
    c:request('config/resolve', nil, function(e) queued = e or 'ok' end)
    for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do vim.uv.kill(pid, 'sigkill') end
    T.wait(function() return queued end, 'the queued callback')
    T.ok(type(queued) == 'table' and queued.message:find('exited'), 'an exit error for the queued request, got ' .. vim.inspect(queued))
    -- In flight: the server holds auth/login until the device endpoint answers.
    c:start()
    T.wait(function() return c.status == 'running' end, 'a running server')
    local pending
    c:request('auth/login', { method = 'qwen-oauth', openBrowser = false }, function(e) pending = e or 'ok' end)
    T.wait(function() return #conns > 0 end, 'the server to reach the device endpoint')
    for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do vim.uv.kill(pid, 'sigkill') end
    T.wait(function() return pending end, 'the pending callback')
    T.ok(type(pending) == 'table' and pending.message:find('exited'), 'an exit error for the pending request, got ' .. vim.inspect(pending))
  end)
  for _, c in ipairs(conns) do c:close() end
  tcp:close()
  qwen.setup({ statusline = { enabled = false } })
  if not ok then error(err, 0) end
end)

T.test(':Qwen restart stops quietly, starts a new server and says so', function()
  local since = #T.notifications
  vim.cmd('Qwen restart')
  T.wait(function() return qwen.client().status == 'running' end, 'the new server')
  local n = T.wait_note('restarted qwen-agent-server', since)
  T.eq(n.level, vim.log.levels.INFO)
  vim.wait(300)
  T.not_contains(T.notes(since), 'exited unexpectedly')
end)

T.test(':Qwen trust asks first, then records the decision', function()
  local trusted = vim.env.QWEN_CODE_TRUSTED_FOLDERS_PATH
  local seen = T.pick('Trust this folder')
  local since = #T.notifications
  vim.cmd('Qwen trust')
  T.wait_note('recorded: ', since)
  T.wait_note('is trusted', since)
  T.eq(#seen.items, 3)
  T.eq(seen.opts.kind, 'qwen.trust')
  -- Before any decision: what holds, not "(now trusted)".
  T.not_contains(seen.opts.prompt, 'now trusted')
  T.contains(seen.opts.prompt, 'its settings apply now')
  T.contains(T.read(trusted) or '', T.project)
  seen = T.pick("Don't trust")
  since = #T.notifications
  vim.cmd('Qwen trust')
  T.wait_note('is not trusted', since)
  T.contains(T.read(trusted), 'DO_NOT_TRUST')
end)

T.test('an unknown subcommand is an error', function()
  local since = #T.notifications
  pcall(vim.cmd, 'Qwen frobnicate')
  local n = T.wait_note('unknown subcommand', since)
  T.eq(n.level, vim.log.levels.ERROR)
end)

T.test('no server found: the statusline says so, in the error colour, and the hint is a real path', function()
  qwen.client():stop(2000)
  local config = require('qwen.config')
  local real, path = config.bundled_server, vim.env.PATH
  config.bundled_server = function() return nil end
  vim.env.PATH = '/nonexistent'
  local ok, err = pcall(function()
    local since = #T.notifications
    -- An ERROR notification inside a command is a command error.
    pcall(vim.cmd, 'Qwen restart')
    local n = T.wait_note('not found', since)
    T.eq(n.level, vim.log.levels.ERROR)
    T.not_contains(n.msg, '/../', 'a path with ..')
    T.contains(n.msg, vim.fn.simplify(config.plugin_root() .. '/../../dist/server.js'))
    T.contains(n.msg, 'npm install -g qwen-agent-server')
    T.eq(qwen.statusline(), 'Qwen: server not found')
    T.eq(qwen.status_hl(), 'QwenStatusError')
    T.contains(qwen.statusline_hl(), '%#QwenStatusError#Qwen: server not found%*')
  end)
  config.bundled_server, vim.env.PATH = real, path
  if not ok then error(err, 0) end
  vim.cmd('Qwen restart')
  T.wait(function() return qwen.client().status == 'running' end, 'the server, found again')
  T.wait(function() return qwen.statusline() ~= 'Qwen: server not found' end, 'the statusline to recover')
end)

T.test('<Plug> mappings run the commands; the highlight groups exist', function()
  for name in pairs(require('qwen.command').plug) do
    local m = vim.fn.maparg('<Plug>(qwen-' .. name .. ')', 'n', false, true)
    T.eq(m.rhs, '<Cmd>Qwen ' .. name .. '<CR>', '<Plug>(qwen-' .. name .. ')')
  end
  local since = #T.notifications
  vim.api.nvim_feedkeys(vim.keycode('<Plug>(qwen-restart)'), 'x', false)
  T.wait_note('restarted', since)
  for _, g in ipairs({ 'QwenStatusOk', 'QwenStatusWarn', 'QwenStatusError' }) do T.eq(vim.fn.hlexists(g), 1, g) end
end)

T.test('a broken settings.json is told at once, marks the statusline, and :Qwen config shows the whole error', function()
  local path = T.home .. '/.qwen/settings.json'
  local since = #T.notifications
  T.write(path, '{ "model": { "name": "x" },, }\n')
  local n = T.wait_note('settings.json', since)
  T.eq(n.level, vim.log.levels.ERROR)
  T.contains(n.msg, ':Qwen config')
  T.wait(function() return qwen.statusline():find('[settings error]', 1, true) end, 'the statusline mark')
  T.eq(qwen.status_hl(), 'QwenStatusError')
  vim.cmd('Qwen config')
  local buf = T.wait(function()
    local b = vim.fn.bufnr('qwen://config')
    return b ~= -1 and vim.api.nvim_buf_line_count(b) > 5 and b
  end, 'the config buffer')
  local win = vim.fn.bufwinid(buf)
  T.eq(vim.wo[win].wrap, true, 'the config window wraps')
  T.contains(table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'), 'error: ')
  vim.cmd('close')
  local text = health_text()
  -- :checkhealth names it too.
  T.ok(text:find('ERROR [^\n]*' .. vim.pesc(path)), 'the broken file in\n' .. text)
  since = #T.notifications
  T.write(path, '{}\n')
  T.wait(function() return not qwen.statusline():find('[settings error]', 1, true) end, 'the mark to clear once fixed')
end)

T.test('a missing server command is reported by :checkhealth and by commands', function()
  qwen.client():stop(2000)
  qwen.setup({ cmd = { '/nonexistent/qwen-agent-server' }, statusline = { enabled = false } })
  local text = health_text()
  T.contains(text, 'ERROR server not found')
  local since = #T.notifications
  pcall(vim.cmd, 'Qwen status')
  local n = T.wait_note('not found', since)
  T.eq(n.level, vim.log.levels.ERROR)
  qwen.setup({ statusline = { enabled = false } })
end)
