-- Sign-in with keys: the method menu, inputsecret(), where the key lands,
-- and that it shows up nowhere else.
local T = require('runner')
local qwen = require('qwen')

local provider = T.json_env('NVIM_QWEN_TEST_PROVIDER') -- {url, key}: the loopback provider peer
-- The OpenAI key check goes to the loopback provider, which takes this key.
local KEY = provider and provider.key or 'sk-nvim-test-key-0123456789abcdef'
local dotenv = T.home .. '/.qwen/.env'
local lsplog = vim.fn.stdpath('log') .. '/lsp.log'

vim.lsp.set_log_level('debug') -- the plugin must keep keys out of it anyway
local env = { OPENAI_BASE_URL = provider and provider.url or nil }
qwen.setup({ log_level = 'trace', env = env })
vim.o.statusline = '%!v:lua.require("qwen").statusline()'

T.test('setup() with no options finds the server next to the plugin and starts it', function()
  local cmd = require('qwen.config').server_cmd()
  T.ok(cmd, 'a server command')
  T.ok(cmd[2]:match('/server%.js$'), 'node …/server.js, got ' .. table.concat(cmd, ' '))
  T.eq(cmd[3], '--stdio')
  -- The statusline option starts the server once Neovim has started.
  T.wait(function() return qwen.statusline() == 'Qwen: signed out' end, 'the statusline to say signed out')
  T.eq(qwen.client().status, 'running')
  T.eq(qwen.client():qwen_capabilities().protocolVersion, 2)
end)

--- The server's login menu, asked directly.
local function server_options()
  local err, res = qwen.client():request_sync('auth/methods', nil, 10000)
  T.ok(not err, err and err.message)
  return res.methods
end

T.test(':Qwen login shows every option of the server (auth/methods) in its order; a key goes to ~/.qwen/.env (0600)', function()
  local since_ev, since = #T.events, #T.notifications
  local menu = T.pick('API key  A key for any provider')
  local types = T.pick('OPENAI_API_KEY')
  T.type_secret('') -- the optional variable name: the default
  T.type_secret(KEY)
  vim.cmd('Qwen login')
  local n = T.wait_note('signed in: OPENAI_API_KEY', since)
  local options = server_options()
  T.eq(#menu.items, #options, 'one menu line per option')
  for i, o in ipairs(options) do
    T.eq(menu.items[i].id, o.id, 'option ' .. i .. ' in the server order')
    T.contains(menu.texts[i], o.label)
  end
  T.eq(menu.opts.kind, 'qwen.login')
  -- The auth types, with their default variables, come from the option's field.
  T.contains(table.concat(types.texts, '\n'), 'ANTHROPIC_API_KEY')
  -- The answer: what was stored, whether the provider took it.
  T.contains(n.msg, 'sk-…' .. KEY:sub(-4))
  T.contains(n.msg, 'accepted by the provider')
  T.contains(n.msg, 'stored in ~/.qwen/.env')
  local text = T.read(dotenv)
  T.ok(text, dotenv .. ' written')
  T.contains(text, 'OPENAI_API_KEY=' .. KEY)
  T.eq(T.mode(dotenv), tonumber('600', 8), 'mode of ~/.qwen/.env')
  T.wait_event('QwenAuthChanged', function(d) return d.envKey == 'OPENAI_API_KEY' and d.state == 'signedIn' end, since_ev)
  T.wait(function() return qwen.statusline() == 'Qwen: signed in' end, 'the statusline to say signed in')
end)

T.test('the client holds no option id, variable name or region of the server menu', function()
  local src = {}
  for _, f in ipairs(vim.fn.glob(vim.fn.fnamemodify(T.dir, ':h') .. '/lua/**/*.lua', false, true)) do
    src[f] = table.concat(vim.fn.readfile(f), '\n')
  end
  for _, o in ipairs(server_options()) do
    local words = { o.envKey }
    -- Ids that are also words of the code itself ("api-key" is a field of
    -- a key login, "qwen-oauth" the name of the plugin's sign-in float) are
    -- left to the checks of the menu above.
    if #o.id > 6 and o.id ~= 'qwen-oauth' then table.insert(words, o.id) end
    for _, f in ipairs(o.fields) do
      for _, c in ipairs(f.choices or {}) do
        if f.name == 'region' then table.insert(words, c.value) end
        if c.detail and c.detail:match('^[A-Z_]+$') then table.insert(words, c.detail) end
      end
    end
    for _, w in ipairs(words) do
      for file, text in pairs(src) do
        T.not_contains(text, "'" .. w .. "'", vim.fn.fnamemodify(file, ':t') .. ' hard-codes ' .. w)
        T.not_contains(text, '"' .. w .. '"', vim.fn.fnamemodify(file, ':t') .. ' hard-codes ' .. w)
      end
    end
  end
end)

T.test('the key is in no message, notification, statusline, log or buffer', function()
  T.not_contains(T.messages(), KEY, ':messages')
  T.not_contains(T.notes(), KEY, 'notifications')
  T.not_contains(qwen.statusline(), KEY, 'statusline')
  T.not_contains(T.read(require('qwen.log').path()) or '', KEY, 'qwen.log')
  T.ok(#(T.read(require('qwen.log').path()) or '') > 0, 'qwen.log is written at trace level')
  local lsp = T.read(lsplog) or ''
  T.contains(lsp, 'auth/status', 'lsp.log records messages at debug level')
  T.not_contains(lsp, KEY, 'lsp.log at debug level')
  T.not_contains(vim.fn.histget('input', -1), KEY, 'input history')
  T.not_contains(vim.fn.getreg('"'), KEY, 'unnamed register')
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    T.not_contains(table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\n'), KEY, 'buffer ' .. b)
  end
end)

T.test(':Qwen status shows each method with its redacted key and source', function()
  vim.cmd('Qwen status')
  local buf = T.wait(function()
    local b = vim.fn.bufnr('qwen://status')
    return b ~= -1 and vim.api.nvim_buf_line_count(b) > 3 and b
  end, 'the status buffer')
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  T.contains(text, 'OpenAI-compatible key (OPENAI_API_KEY)')
  T.contains(text, 'sk-…' .. KEY:sub(-4))
  -- Signed in with a key, before any auth type is chosen: not "none".
  T.not_contains(text, 'Auth       none')
  T.contains(text, 'Auth       signed in: OPENAI_API_KEY')
  T.contains(text, '.qwen/.env')
  T.not_contains(text, KEY)
  vim.cmd('close')
end)

T.test('a rejected key is reported at ERROR in plain words, and is not echoed', function()
  local bad = 'bad key with spaces'
  local since = #T.notifications
  T.type_secret(bad)
  vim.cmd('Qwen login api-key anthropic')
  local n = T.wait_note('sign-in failed', since)
  T.eq(n.level, vim.log.levels.ERROR)
  T.contains(n.msg, 'white space')
  -- No method or field names of the protocol.
  T.not_contains(n.msg, 'auth/login')
  T.not_contains(n.msg, 'apiKey')
  T.not_contains(n.msg, 'invalid params')
  T.not_contains(n.msg, bad)
  T.not_contains(T.messages(), bad)
  T.not_contains(T.read(dotenv) or '', 'ANTHROPIC_API_KEY')
end)

T.test('an empty key cancels without asking the server', function()
  local since = #T.notifications
  T.type_secret('')
  vim.cmd('Qwen login api-key gemini')
  T.wait_note('sign-in cancelled', since)
end)

T.test('the provider refusing the key fails the sign-in, and nothing is stored', function()
  if not provider then error('no loopback provider: NVIM_QWEN_TEST_PROVIDER is not set') end
  local since = #T.notifications
  T.type_secret('sk-refused-by-the-peer-0123456789')
  vim.cmd('Qwen login api-key openai NVIM_REFUSED_KEY')
  local n = T.wait_note('sign-in failed', since)
  T.eq(n.level, vim.log.levels.ERROR)
  T.not_contains(T.read(dotenv) or '', 'NVIM_REFUSED_KEY')
end)

T.test('an unknown method or region names the ones the server offers', function()
  local since = #T.notifications
  vim.cmd('Qwen login frobnicate')
  local n = T.wait_note('unknown sign-in method', since)
  T.eq(n.level, vim.log.levels.ERROR)
  for _, o in ipairs(server_options()) do T.contains(n.msg, o.id) end
  -- Checked before the key is asked for.
  since = #T.notifications
  vim.cmd('Qwen login coding-plan mars')
  n = T.wait_note('unknown region "mars"', since)
  T.contains(n.msg, 'china, global')
end)

T.test('Coding Plan asks for the region and says what it selected and wrote', function()
  local since_ev, since = #T.events, #T.notifications
  local region = T.pick('International')
  local key = 'sk-sp-nvim-coding-plan-0123456789'
  T.type_secret(key)
  vim.cmd('Qwen login coding-plan')
  local n = T.wait_note('signed in: BAILIAN_CODING_PLAN_API_KEY', since)
  T.eq(#region.items, 2, 'two regions')
  T.contains(region.texts[2], 'coding-intl.dashscope.aliyuncs.com', 'the endpoint host of each region')
  -- The provider can't be reached from here: stored, not verified, and why.
  T.eq(n.level, vim.log.levels.WARN)
  T.contains(n.msg, 'not checked with the provider')
  T.contains(n.msg, 'stored but not checked')
  local sel_id = n.msg:match('model (%S+) selected')
  T.ok(sel_id, 'the selected model in ' .. n.msg)
  T.contains(n.msg, 'model.name')
  T.contains(n.msg, 'in ~/.qwen/settings.json')
  T.contains(T.read(dotenv), 'BAILIAN_CODING_PLAN_API_KEY=' .. key)
  local settings = T.read(T.home .. '/.qwen/settings.json')
  T.contains(settings, 'coding-intl.dashscope.aliyuncs.com', 'the Singapore endpoint')
  local sel = T.wait_event('QwenModelChanged', function(d) return d.selected ~= vim.NIL end, since_ev).selected
  T.eq(sel.id, sel_id)
  T.contains(settings, '"' .. sel.id .. '"', 'model.name')
  T.wait(function() return qwen.statusline() == 'Qwen: ' .. sel.id end, 'the statusline to show the plan model')
  T.not_contains(T.messages(), key)
end)

T.test(':Qwen logout removes the stored key line and keeps the others', function()
  local seen = T.pick('OPENAI_API_KEY')
  local since = #T.notifications
  vim.cmd('Qwen logout')
  T.wait_note('signed out', since)
  local menu = table.concat(seen.texts, '\n')
  T.not_contains(menu, 'Gemini', 'only signed-in methods are offered')
  local text = T.read(dotenv)
  T.not_contains(text, 'OPENAI_API_KEY')
  T.contains(text, 'BAILIAN_CODING_PLAN_API_KEY=')
end)

T.test('a server error is shown at ERROR with its message and hint (CredentialNotOwned)', function()
  -- A key from the process environment is not the server's to remove.
  qwen.setup({ log_level = 'trace', env = { GEMINI_API_KEY = 'gm-process-env-key-0123456789' } })
  vim.cmd('Qwen restart')
  T.wait(function() return qwen.client().status == 'running' end, 'the restarted server')
  local err = qwen.client():request_sync('auth/logout', { method = 'api-key', authType = 'gemini', envKey = 'GEMINI_API_KEY' }, 10000)
  T.ok(err and err.data and err.data.code == 'CredentialNotOwned', 'CredentialNotOwned, got ' .. vim.inspect(err))
  local since = #T.notifications
  T.pick('GEMINI_API_KEY')
  vim.cmd('Qwen logout api-key')
  local n = T.wait_note('sign-out failed', since)
  T.eq(n.level, vim.log.levels.ERROR)
  T.contains(n.msg, err.message)
  if err.data.hint then T.contains(n.msg, err.data.hint) end
  T.not_contains(T.messages(), 'gm-process-env-key-0123456789')
end)

T.test('setup() rejects an option of the wrong type with a readable error', function()
  local ok, err = pcall(qwen.setup, { open_browser = 'yes' })
  T.eq(ok, false)
  T.contains(tostring(err), '`open_browser` must be boolean or function')
  qwen.setup({ statusline = { format = function(s) return 'custom ' .. tostring(s.signed_in) end } })
  T.ok(qwen.statusline():match('^custom '), 'statusline.format is used')
  qwen.setup({})
end)
