-- Sign-in with keys: the method menu, inputsecret(), where the key lands,
-- and that it shows up nowhere else.
local T = require('runner')
local qwen = require('qwen')

local KEY = 'sk-nvim-test-key-0123456789abcdef'
local dotenv = T.home .. '/.qwen/.env'
local lsplog = vim.fn.stdpath('log') .. '/lsp.log'

vim.lsp.set_log_level('debug') -- the plugin must keep keys out of it anyway
qwen.setup({ log_level = 'trace' })
vim.o.statusline = '%!v:lua.require("qwen").statusline()'

T.test('setup() with no options finds the server next to the plugin and starts it', function()
  local cmd = require('qwen.config').server_cmd()
  T.ok(cmd, 'a server command')
  T.ok(cmd[2]:match('/dist/server%.js$'), 'node …/dist/server.js, got ' .. table.concat(cmd, ' '))
  T.eq(cmd[3], '--stdio')
  -- The statusline option starts the server once Neovim has started.
  T.wait(function() return qwen.statusline() == 'Qwen: signed out' end, 'the statusline to say signed out')
  T.eq(qwen.client().status, 'running')
  T.eq(qwen.client():qwen_capabilities().protocolVersion, 2)
end)

T.test(':Qwen login lists the server methods and an API key goes to ~/.qwen/.env (0600)', function()
  local since_ev = #T.events
  local seen = T.pick('OPENAI_API_KEY')
  T.type_secret(KEY)
  vim.cmd('Qwen login')
  T.wait_note('signed in: OPENAI_API_KEY')
  local menu = table.concat(seen.texts, '\n')
  T.contains(menu, 'Qwen OAuth')
  T.contains(menu, 'Coding Plan')
  T.contains(menu, 'ANTHROPIC_API_KEY')
  local text = T.read(dotenv)
  T.ok(text, dotenv .. ' written')
  T.contains(text, 'OPENAI_API_KEY=' .. KEY)
  T.eq(T.mode(dotenv), tonumber('600', 8), 'mode of ~/.qwen/.env')
  T.wait_event('QwenAuthChanged', function(d) return d.envKey == 'OPENAI_API_KEY' and d.state == 'signedIn' end, since_ev)
  T.wait(function() return qwen.statusline() == 'Qwen: signed in' end, 'the statusline to say signed in')
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
  T.contains(text, 'sk-…cdef')
  T.contains(text, '.qwen/.env')
  T.not_contains(text, KEY)
  vim.cmd('close')
end)

T.test('a rejected key is reported at ERROR with the server message and is not echoed', function()
  local bad = 'bad key with spaces'
  local since = #T.notifications
  T.type_secret(bad)
  vim.cmd('Qwen login api-key anthropic')
  local n = T.wait_note('sign-in failed', since)
  T.eq(n.level, vim.log.levels.ERROR)
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

T.test('Coding Plan asks for the region and selects the plan model', function()
  local since_ev = #T.events
  local region = T.pick('International')
  local key = 'sk-sp-nvim-coding-plan-0123456789'
  T.type_secret(key)
  vim.cmd('Qwen login coding-plan')
  T.wait_note('signed in: BAILIAN_CODING_PLAN_API_KEY')
  T.eq(#region.items, 2, 'two regions')
  T.contains(T.read(dotenv), 'BAILIAN_CODING_PLAN_API_KEY=' .. key)
  local settings = T.read(T.home .. '/.qwen/settings.json')
  T.ok(settings:find('"region"%s*:%s*"global"'), 'codingPlan.region is global in ' .. settings)
  local sel = T.wait_event('QwenModelChanged', function(d) return d.selected ~= vim.NIL end, since_ev).selected
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
