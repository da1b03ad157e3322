-- Qwen OAuth against the loopback authorization server: the float with the
-- code and link, showDocument, approval, cancel, and the statusline.
local T = require('runner')
local qwen = require('qwen')

local oidc = T.json_env('NVIM_QWEN_TEST_OIDC') -- {issuer, deviceAuthorizationUrl, tokenUrl, clientId, approveUrl}

-- Qwen Code 0.24 uses a Qwen OAuth credential only with useExternal: without
-- it coder-model is unavailable even once signed in.
T.write(T.home .. '/.qwen/settings.json', vim.json.encode({ security = { auth = { useExternal = true } } }))

local opened = {}
local clipboard = {}
-- A clipboard provider, so that "copied to the clipboard" can be checked.
vim.g.clipboard = {
  name = 'test',
  copy = {
    ['+'] = function(lines) clipboard['+'] = table.concat(lines, '\n') end,
    ['*'] = function(lines) clipboard['*'] = table.concat(lines, '\n') end,
  },
  paste = {
    ['+'] = function() return { clipboard['+'] or '' } end,
    ['*'] = function() return { clipboard['*'] or '' } end,
  },
}

local function setup(open_browser)
  qwen.setup({
    env = oidc and {
      QWEN_OAUTH_DEVICE_AUTHORIZATION_URL = oidc.deviceAuthorizationUrl,
      QWEN_OAUTH_TOKEN_URL = oidc.tokenUrl,
      QWEN_OAUTH_CLIENT_ID = oidc.clientId,
    } or {},
    open_browser = open_browser,
  })
end
setup(function(url)
  table.insert(opened, url)
  return true
end)
vim.o.statusline = '%!v:lua.require("qwen").statusline()'

local function need_oidc()
  if not oidc then error('no loopback OAuth server: NVIM_QWEN_TEST_OIDC is not set') end
end

local function float_text()
  local f = require('qwen.login').float()
  if not f or not vim.api.nvim_buf_is_valid(f.buf) then return nil end
  return table.concat(vim.api.nvim_buf_get_lines(f.buf, 0, -1, false), '\n')
end

--- Runs the float's mapping for `lhs` as a keypress would.
local function press(lhs)
  local f = require('qwen.login').float()
  T.ok(f, 'an open float')
  vim.api.nvim_set_current_win(f.win)
  local map = vim.fn.maparg(lhs, 'n', false, true)
  T.ok(map.buffer == 1 and map.callback, lhs .. ' is mapped in the float')
  map.callback()
end

local function start_login()
  local since = #T.notifications
  vim.cmd('Qwen login qwen-oauth')
  local f = T.wait(function()
    local fl = require('qwen.login').float()
    if fl then return fl end
    local failed = T.notes(since):match('sign%-in failed[^\n]*')
    if failed then error('the sign-in did not start: ' .. failed, 0) end
  end, 'the sign-in float')
  return f
end

T.test('Qwen OAuth: the float shows the code and link, the browser opens, approval signs in', function()
  need_oidc()
  T.wait(function() return qwen.statusline() == 'Qwen: signed out' end, 'signed out at first')
  local since_ev = #T.events
  local f = start_login()
  local login = f.login
  T.ok(login.userCode and login.userCode ~= '', 'a user code')
  local text = float_text()
  T.contains(text, login.userCode)
  T.contains(text, login.verificationUriComplete)
  T.contains(text, '(copied)')
  T.eq(clipboard['+'], login.userCode, 'the code is on the clipboard')
  T.eq(vim.api.nvim_win_get_config(f.win).relative, 'editor', 'a float')
  -- window/showDocument reached open_browser with the complete link.
  T.wait(function() return opened[#opened] == login.verificationUriComplete end, 'showDocument')
  T.wait(function() return float_text() and float_text():find('browser that just opened', 1, true) end, 'the float to say the browser opened')
  T.eq(qwen.statusline(), 'Qwen: signing in…')

  local status = T.http_get(oidc.approveUrl .. (oidc.approveUrl:find('?', 1, true) and '&' or '?') .. 'user_code=' .. vim.uri_encode(login.userCode))
  T.ok(status >= 200 and status < 400, 'approve answered ' .. tostring(status))

  T.wait(function() return (float_text() or ''):find('Signed in', 1, true) end, 'the float to show success', 60000)
  T.wait_event('QwenAuthChanged', function(d) return d.loginId == login.loginId and d.state == 'signedIn' end, since_ev)
  T.wait(function() return require('qwen.login').float() == nil end, 'the float to close itself')
  T.eq(vim.api.nvim_win_is_valid(f.win), false)
  local last
  local ok = vim.wait(20000, function()
    last = qwen.statusline()
    return last ~= 'Qwen: signed out' and last ~= 'Qwen: signing in…' and not last:find('(signed out)', 1, true)
  end, 20)
  T.ok(ok, 'the statusline to show a signed-in state; it shows ' .. last .. ' ' .. vim.inspect(qwen.state.model))
  local err, st = qwen.client():request_sync('auth/status', nil, 10000)
  T.ok(not err)
  T.eq(st.methods[1].state, 'signedIn', 'qwen-oauth signed in')
end)

T.test(':Qwen status shows when the Qwen OAuth credential expires, in local time', function()
  need_oidc()
  vim.cmd('Qwen status')
  local buf = T.wait(function()
    local b = vim.fn.bufnr('qwen://status')
    return b ~= -1 and vim.api.nvim_buf_line_count(b) > 3 and b
  end, 'the status buffer')
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  vim.cmd('close')
  local line = text:match('[^\n]*Qwen OAuth[^\n]*expires[^\n]*')
  T.ok(line, 'an expiry in\n' .. text)
  T.ok(not line:find('%d%d%d%d%-%d%d%-%d%dT'), 'no raw ISO time: ' .. line)
  T.ok(line:find('expires %d%d:%d%d %(in ') or line:find('expires %a+ %d+ %d%d:%d%d'), 'HH:MM and the time left: ' .. line)
end)

T.test('o in the float with no browser opener says so, in the float and in a message', function()
  need_oidc()
  setup(true)
  local path = vim.env.PATH
  local ok, err = pcall(function()
    local f = start_login()
    -- No xdg-open, wslview, open...: vim.ui.open has nothing to run.
    vim.env.PATH = '/nonexistent'
    local since = #T.notifications
    press('o')
    local n = T.wait_note("couldn't open a browser", since)
    T.eq(n.level, vim.log.levels.WARN)
    T.contains(n.msg, f.login.verificationUriComplete)
    T.contains(float_text(), 'No browser could be opened here')
    vim.env.PATH = path
    press('q')
  end)
  vim.env.PATH = path
  setup(function(url)
    table.insert(opened, url)
    return true
  end)
  if not ok then error(err, 0) end
end)

T.test('q in the float cancels the sign-in (auth/cancel)', function()
  need_oidc()
  local since_ev = #T.events
  local f = start_login()
  press('q')
  T.eq(require('qwen.login').float(), nil, 'closed at once')
  T.eq(vim.api.nvim_win_is_valid(f.win), false)
  local d = T.wait_event('QwenAuthChanged', function(x) return x.loginId == f.login.loginId end, since_ev)
  T.eq(d.state, 'error')
  T.eq(d.reason, 'cancelled')
  T.wait_note('Qwen OAuth sign-in cancelled')
end)

T.test('<Esc> cancels too; with open_browser = false the link is only shown', function()
  need_oidc()
  setup(false)
  local before = #opened
  local since_ev = #T.events
  local f = start_login()
  vim.wait(300)
  T.eq(#opened, before, 'no browser')
  T.contains(float_text(), 'Open the link and enter the code')
  T.contains(float_text(), f.login.verificationUriComplete)
  press('<Esc>')
  T.wait_event('QwenAuthChanged', function(x) return x.loginId == f.login.loginId and x.reason == 'cancelled' end, since_ev)
  setup(function(url)
    table.insert(opened, url)
    return true
  end)
end)

T.test('over SSH the link is shown, not opened', function()
  need_oidc()
  local real_open = vim.ui.open
  local calls = {}
  vim.ui.open = function(url) table.insert(calls, url) return nil, 'test' end
  vim.env.SSH_CONNECTION = '127.0.0.1 50000 127.0.0.1 22'
  setup(true)
  local ok, err = pcall(function()
    local since_ev = #T.events
    local f = start_login()
    vim.wait(300)
    T.eq(calls, {}, 'vim.ui.open not called')
    T.contains(float_text(), 'Open the link and enter the code')
    press('q')
    T.wait_event('QwenAuthChanged', function(x) return x.loginId == f.login.loginId end, since_ev)
  end)
  vim.env.SSH_CONNECTION = nil
  vim.ui.open = real_open
  setup(function(url)
    table.insert(opened, url)
    return true
  end)
  if not ok then error(err, 0) end
end)

T.test('a second sign-in replaces the first and its float', function()
  need_oidc()
  local f = start_login()
  -- The server cancels the first; that is not reported as a failure.
  local first = f.login.loginId
  local since = #T.notifications
  vim.cmd('Qwen login qwen-oauth')
  T.wait(function()
    local g = require('qwen.login').float()
    return g and g.login.loginId ~= first
  end, 'a new float for the second sign-in')
  T.not_contains(T.notes(since), 'failed', 'the replaced sign-in is not an error')
  local second = require('qwen.login').float().login.loginId
  local since_ev = #T.events
  press('q')
  T.wait_event('QwenAuthChanged', function(x) return x.loginId == second and x.reason == 'cancelled' end, since_ev)
end)

T.test(':Qwen logout qwen-oauth signs out', function()
  need_oidc()
  local since = #T.notifications
  T.wait(function()
    local _, st = qwen.client():request_sync('auth/status', nil, 10000)
    return st.methods[1].state == 'signedIn'
  end, 'Qwen OAuth to be signed in again once the other sign-ins were cancelled')
  vim.cmd('Qwen logout qwen-oauth')
  T.wait_note('signed out: Qwen OAuth', since)
  T.wait(function() return qwen.statusline():find('signed out', 1, true) end, 'the statusline')
end)
