-- The model picker: the server's groups, unavailable models with their
-- reason, scopes, persistence seen by a second server, and :Qwen test.
local T = require('runner')
local qwen = require('qwen')

local provider = T.json_env('NVIM_QWEN_TEST_PROVIDER') -- {url, key}: the loopback provider peer
local user_settings = T.home .. '/.qwen/settings.json'
local peer_url = provider and provider.url or 'http://127.0.0.1:9/v1'

T.write(user_settings, vim.json.encode({
  -- Without a selected auth type no model is usable (Qwen Code: "No auth type is selected").
  security = { auth = { selectedType = 'openai' } },
  modelProviders = {
    openai = {
      { id = 'qwen3-coder-plus', name = 'Peer model', baseUrl = peer_url, envKey = 'NVIM_PEER_KEY', generationConfig = { maxRetries = 0 } },
      { id = 'gpt-nvim', name = 'GPT for tests', baseUrl = peer_url, envKey = 'OPENAI_API_KEY' },
    },
    anthropic = {
      { id = 'claude-nvim', name = 'Claude for tests', baseUrl = provider and provider.origin or 'http://127.0.0.1:9', envKey = 'ANTHROPIC_API_KEY' },
    },
  },
}))

qwen.setup({})
vim.o.statusline = '%!v:lua.require("qwen").statusline()'

--- A second, independent server (another editor) in the same HOME.
local function second_server()
  local c = require('qwen.client').new({})
  T.ok(c:start(), 'second server starts')
  return c
end

local function selected_by(c)
  local err, res = c:request_sync('model/list', nil, 15000)
  T.ok(not err, err and err.message)
  return res.selected ~= vim.NIL and res.selected or nil
end

T.test('the picker lists every group of the server, unavailable models with their reason', function()
  T.wait(function() return qwen.client().status == 'running' end, 'the server')
  -- Make qwen3-coder-plus available: a key for its envKey, through the login flow.
  T.type_secret(provider and provider.key or 'sk-peer-key-not-used-0000')
  vim.cmd('Qwen login api-key openai NVIM_PEER_KEY')
  T.wait_note('signed in: NVIM_PEER_KEY')

  local err, list = qwen.client():request_sync('model/list', nil, 15000)
  T.ok(not err, err and err.message)
  local since_ev = #T.events
  local seen = T.pick('qwen3-coder-plus')
  vim.cmd('Qwen model')
  T.wait(function() return seen.choice end, 'the picker')
  T.eq(seen.opts.kind, 'qwen.model')
  local text = table.concat(seen.texts, '\n')
  local ngroups = 0
  for _, g in ipairs(list.groups) do
    ngroups = ngroups + 1
    T.ok(text:find(vim.pesc(g.label) .. ' *│'), 'group ' .. g.label .. ' in ' .. text)
    for _, m in ipairs(g.models) do T.contains(text, m.id, 'model ' .. m.id) end
  end
  T.ok(ngroups >= 3, 'qwen-oauth, openai and anthropic groups')
  -- In the server's order: Qwen OAuth first.
  T.contains(seen.texts[1], 'coder-model')
  for i, it in ipairs(seen.items) do
    if it.model.id == 'claude-nvim' then
      -- The reason, cut so that the line never wraps.
      T.contains(seen.texts[i], '(unavailable: ' .. it.model.unavailableReason:sub(1, 24))
      T.ok(vim.fn.strdisplaywidth(seen.texts[i]) <= vim.o.columns - 8, 'fits the screen: ' .. seen.texts[i])
    end
    if it.model.id == 'qwen3-coder-plus' then T.not_contains(seen.texts[i], 'unavailable') end
  end
  T.wait_note('model qwen3-coder-plus (openai), saved to')
  T.contains(T.read(user_settings), '"qwen3-coder-plus"')
  T.wait_event('QwenModelChanged', function(d) return d.selected ~= vim.NIL and d.selected.id == 'qwen3-coder-plus' end, since_ev)
  T.wait(function() return qwen.statusline() == 'Qwen: qwen3-coder-plus' end, 'the statusline')
end)

T.test('the selection persists: a second server sees it', function()
  local c = second_server()
  local sel = selected_by(c)
  c:stop(3000)
  T.ok(sel, 'a selection')
  T.eq(sel.id, 'qwen3-coder-plus')
  T.eq(sel.authType, 'openai')
end)

T.test('a selection made by another process reaches this one (model/didChange)', function()
  local since_ev = #T.events
  local c = second_server()
  local err = c:request_sync('model/select', { authType = 'openai', id = 'gpt-nvim', scope = 'user' }, 15000)
  c:stop(3000)
  T.ok(not err, err and err.message)
  T.wait_event('QwenModelChanged', function(d) return d.selected ~= vim.NIL and d.selected.id == 'gpt-nvim' end, since_ev)
  T.wait(function() return qwen.statusline() == 'Qwen: gpt-nvim (signed out)' end, 'the statusline to follow')
end)

T.test(':Qwen model session holds for this server only', function()
  local before = T.read(user_settings)
  local since = #T.notifications
  T.pick('claude-nvim')
  local offer = T.pick('Not now')
  vim.cmd('Qwen model session')
  T.wait_note('model claude-nvim, for this session; unavailable until you sign in (:Qwen login api-key)', since)
  T.eq(offer.opts.kind, 'qwen.model.signin')
  T.wait(function() return qwen.statusline() == 'Qwen: claude-nvim (signed out)' end, 'the statusline')
  T.eq(T.read(user_settings), before, 'settings untouched')
  local c = second_server()
  local sel = selected_by(c)
  c:stop(3000)
  T.eq(sel.id, 'gpt-nvim', 'the other server keeps the saved choice')
end)

T.test('picking a model without its credential offers the sign-in that gives it one', function()
  local since = #T.notifications
  T.pick('claude-nvim')
  local offer = T.pick('Sign in')
  -- The loopback provider checks it: it takes this key.
  local key = provider and provider.key or 'sk-ant-nvim-offered-0123456789'
  T.type_secret(key)
  vim.cmd('Qwen model session')
  local n = T.wait_note('signed in: ANTHROPIC_API_KEY', since)
  T.contains(n.msg, 'accepted by the provider')
  T.eq(#offer.items, 2)
  T.contains(offer.opts.prompt, 'claude-nvim is selected')
  T.contains(offer.opts.prompt, 'unavailable')
  T.contains(offer.texts[1], 'Sign in with API key now')
  T.contains(T.read(T.home .. '/.qwen/.env') or '', 'ANTHROPIC_API_KEY=' .. key)
  T.not_contains(n.msg, key)
  local last
  local ok = vim.wait(10000, function()
    last = qwen.statusline()
    return last == 'Qwen: claude-nvim'
  end, 20)
  T.ok(ok, 'the statusline: claude-nvim, signed in; it shows ' .. last .. ' ' .. vim.inspect(require('qwen').state.model))
end)

T.test('a model chosen for this session survives :Qwen restart and a crash, and says so', function()
  T.wait(function() return qwen.statusline() == 'Qwen: claude-nvim' end, 'claude-nvim chosen for this session')
  local since = #T.notifications
  vim.cmd('Qwen restart')
  T.wait_note('kept the model chosen for this session: claude-nvim', since)
  T.eq(selected_by(qwen.client()).id, 'claude-nvim', 'the new server has it')
  T.eq(selected_by(qwen.client()).source.layer, 'session')
  -- A crash: the exit message says the choice will be given back.
  since = #T.notifications
  for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do vim.uv.kill(pid, 'sigkill') end
  local n = T.wait_note('exited unexpectedly', since)
  T.contains(n.msg, 'claude-nvim')
  vim.cmd('Qwen status')
  T.wait_note('kept the model chosen for this session: claude-nvim', since)
  T.eq(selected_by(qwen.client()).id, 'claude-nvim', 'the restarted server has it')
  vim.cmd('silent! bwipeout qwen://status')
end)

T.test(':checkhealth qwen names a key the provider rejected', function()
  if not provider then error('no loopback provider: NVIM_QWEN_TEST_PROVIDER is not set') end
  -- A key put in ~/.qwen/.env by hand, that the provider refuses.
  local dotenv = T.home .. '/.qwen/.env'
  T.write(dotenv, (T.read(dotenv) or '') .. 'NVIM_REJECTED_KEY=sk-rejected-by-peer-0123456789\n')
  local settings = vim.json.decode(T.read(user_settings))
  table.insert(settings.modelProviders.openai, { id = 'rejected-nvim', baseUrl = peer_url, envKey = 'NVIM_REJECTED_KEY', generationConfig = { maxRetries = 0 } })
  T.write(user_settings, vim.json.encode(settings))
  T.wait(function()
    local _, l = qwen.client():request_sync('model/list', nil, 10000)
    for _, g in ipairs(l.groups) do
      for _, m in ipairs(g.models) do
        if m.id == 'rejected-nvim' and m.available then return true end
      end
    end
  end, 'rejected-nvim to be listed')
  local err, r = qwen.client():request_sync('model/test', { authType = 'openai', id = 'rejected-nvim', baseUrl = peer_url }, 30000)
  T.ok(not err and r.ok == false, 'the provider refuses the key: ' .. vim.inspect(err or r))
  vim.cmd('checkhealth qwen')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  vim.cmd('bwipeout!')
  T.ok(text:find('ERROR [^\n]*the provider rejected the key sk%-…6789'), 'the rejected key in\n' .. text)
  T.contains(text, 'NVIM_REJECTED_KEY')
  T.not_contains(text, 'sk-rejected-by-peer-0123456789')
end)

T.test(':Qwen! model asks for the scope', function()
  local since = #T.notifications
  T.pick('qwen3-coder-plus')
  local scopes = T.pick('user:')
  vim.cmd('Qwen! model')
  T.wait_note('model qwen3-coder-plus (openai), saved to ~/.qwen/settings.json', since)
  T.eq(#scopes.items, 3)
  T.eq(scopes.opts.kind, 'qwen.scope')
  local c = second_server()
  local sel = selected_by(c)
  c:stop(3000)
  T.eq(sel.id, 'qwen3-coder-plus')
end)

T.test('an unknown scope is an error', function()
  local since = #T.notifications
  pcall(vim.cmd, 'Qwen model everywhere')
  local n = T.wait_note('unknown scope', since)
  T.eq(n.level, vim.log.levels.ERROR)
end)

T.test(':Qwen test probes the selected model', function()
  if not provider then error('no loopback provider: NVIM_QWEN_TEST_PROVIDER is not set') end
  T.wait(function() return qwen.statusline() == 'Qwen: qwen3-coder-plus' end, 'qwen3-coder-plus selected')
  local since = #T.notifications
  vim.cmd('Qwen test')
  local n = T.wait_note('qwen3-coder-plus works', since, 60000)
  T.eq(n.level, vim.log.levels.INFO)
  T.not_contains(T.messages(), provider.key)
end)

T.test(':Qwen test reports a failing model at ERROR', function()
  local since = #T.notifications
  T.pick('gpt-nvim')
  T.pick('Not now')
  vim.cmd('Qwen model session')
  T.wait_note('model gpt-nvim, for this session; unavailable', since)
  since = #T.notifications
  vim.cmd('Qwen test')
  local n = T.wait(function()
    for i = since + 1, #T.notifications do
      local x = T.notifications[i]
      if x.level == vim.log.levels.ERROR then return x end
    end
  end, 'an ERROR notification', 60000)
  T.contains(n.msg, 'gpt-nvim')
end)

T.test(':Qwen config shows the resolved graph with sources', function()
  vim.cmd('Qwen config')
  local buf = T.wait(function()
    local b = vim.fn.bufnr('qwen://config')
    return b ~= -1 and vim.api.nvim_buf_line_count(b) > 5 and b
  end, 'the config buffer')
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  T.contains(text, user_settings)
  T.contains(text, 'model.name')
  T.contains(text, 'settings (user) ~/.qwen/settings.json')
  T.contains(text, 'NVIM_PEER_KEY')
  T.contains(text, 'dotenv (home) ~/.qwen/.env')
  if provider then T.not_contains(text, provider.key) end
  T.eq(vim.bo[buf].modifiable, false)
  vim.cmd('close')
end)
