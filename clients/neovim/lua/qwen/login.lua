--- Sign-in and sign-out: the method menu, API keys read with
--- `inputsecret()`, and the Qwen OAuth device-code float.
local config = require('qwen.config')
local state = require('qwen.state')
local util = require('qwen.util')
local log = require('qwen.log')

local M = {}
local H = {}

--- Milliseconds the float stays after the sign-in ended.
M.close_delay = { success = 1500, failure = 4000 }

local REGIONS = {
  { id = 'china', label = 'China (Beijing), dashscope.aliyuncs.com' },
  { id = 'global', label = 'International (Singapore), dashscope-intl.aliyuncs.com' },
}

local REASONS = {
  expired = 'the code expired before it was approved',
  denied = 'the sign-in was denied',
  cancelled = 'cancelled',
  network = 'the sign-in server could not be reached',
  server = 'the sign-in server answered with an error',
}

local STATE_TEXT = { signedIn = 'signed in', signedOut = 'signed out', expired = 'expired', pending = 'signing in', error = 'error' }

--- `:Qwen login [method] [arg] [arg2]`.
---   method: qwen-oauth | coding-plan | api-key (asked when nil)
---   coding-plan arg: china | global; api-key arg: auth type, arg2: envKey
function M.login(client, method, arg, arg2)
  if method == 'qwen-oauth' then return M.oauth(client) end
  if method == 'coding-plan' then return H.coding_plan(client, { region = arg }, arg ~= nil) end
  if method == 'api-key' then
    if arg then return H.api_key(client, { authType = arg, envKey = arg2 }) end
  elseif method ~= nil then
    -- `:Qwen login openai` is short for `:Qwen login api-key openai`.
    if vim.tbl_contains({ 'openai', 'anthropic', 'gemini', 'vertex-ai' }, method) then
      return H.api_key(client, { authType = method, envKey = arg })
    end
    return util.notify(('unknown login method %q: qwen-oauth, coding-plan or api-key'):format(method), vim.log.levels.ERROR)
  end
  client:request('auth/status', nil, function(err, res)
    if err then return util.notify_error(err, 'auth/status') end
    local items = {}
    for _, m in ipairs(res.methods or {}) do
      if method == nil or m.login == method then table.insert(items, m) end
    end
    vim.ui.select(items, {
      prompt = 'Sign in with',
      kind = 'qwen.login',
      format_item = H.method_text,
    }, function(choice)
      if not choice then return end
      if choice.login == 'qwen-oauth' then
        M.oauth(client)
      elseif choice.login == 'coding-plan' then
        H.coding_plan(client, choice, false)
      else
        H.api_key(client, choice)
      end
    end)
  end)
end

--- One line for an AuthState: "OpenAI-compatible key (OPENAI_API_KEY)  signed in  sk-…f00d".
function H.method_text(m)
  local s = m.label or m.id
  s = s .. '  [' .. (STATE_TEXT[m.state] or tostring(m.state)) .. ']'
  if m.credential and m.credential.redacted then s = s .. '  ' .. m.credential.redacted end
  return s
end

function H.coding_plan(client, m, region_given)
  local function ask_key(region)
    H.ask_and_send(client, ('Coding Plan API key (sk-sp-…, %s): '):format(region), function(key)
      return { method = 'coding-plan', apiKey = key, region = region }
    end)
  end
  if region_given then
    if m.region ~= 'china' and m.region ~= 'global' then
      return util.notify(('unknown region %q: china or global'):format(tostring(m.region)), vim.log.levels.ERROR)
    end
    return ask_key(m.region)
  end
  local items = vim.deepcopy(REGIONS)
  if m.region == 'global' then items = { items[2], items[1] } end
  vim.ui.select(items, {
    prompt = 'Coding Plan region',
    kind = 'qwen.region',
    format_item = function(r) return r.label end,
  }, function(choice)
    if choice then ask_key(choice.id) end
  end)
end

function H.api_key(client, m)
  local valid = { openai = true, anthropic = true, gemini = true, ['vertex-ai'] = true }
  if not valid[m.authType] then
    return util.notify(('unknown auth type %q: openai, anthropic, gemini or vertex-ai'):format(tostring(m.authType)), vim.log.levels.ERROR)
  end
  local name = m.envKey or ({ openai = 'OPENAI_API_KEY', anthropic = 'ANTHROPIC_API_KEY', gemini = 'GEMINI_API_KEY', ['vertex-ai'] = 'GOOGLE_API_KEY' })[m.authType]
  H.ask_and_send(client, ('%s (%s): '):format(name, m.authType), function(key)
    return { method = 'api-key', authType = m.authType, envKey = m.envKey, apiKey = key }
  end)
end

--- Reads a key with `inputsecret()` (never echoed, never in history) and
--- sends the login built by `params(key)`.
function H.ask_and_send(client, prompt, params)
  local ok, key = pcall(vim.fn.inputsecret, prompt)
  -- Wipe the prompt line (it shows only asterisks, but leaves no trace).
  vim.api.nvim_echo({ { '' } }, false, {})
  if not ok or key == nil or vim.trim(key) == '' then
    return util.notify('sign-in cancelled', vim.log.levels.INFO)
  end
  key = vim.trim(key)
  local p = params(key)
  client:request('auth/login', p, function(err, res)
    if err then
      -- The server never echoes a key; strip it anyway, to be sure.
      local text = util.error_text(err):gsub(vim.pesc(key), '…')
      key = nil
      return util.notify('sign-in failed: ' .. text, vim.log.levels.ERROR)
    end
    key = nil
    local what = res.envKey or p.method
    local cred = res.credential and res.credential.redacted or ''
    util.notify(('signed in: %s %s, stored in %s'):format(what, cred, util.short(res.storedIn)))
    util.notify_warnings(res)
    require('qwen').refresh()
  end, true)
  p = nil
end

--- `:Qwen logout [method]`: picks among the methods that are signed in.
function M.logout(client, method)
  client:request('auth/status', nil, function(err, res)
    if err then return util.notify_error(err, 'auth/status') end
    local items = {}
    for _, m in ipairs(res.methods or {}) do
      local signed = m.state ~= 'signedOut'
      if signed and (method == nil or m.login == method or m.authType == method or m.id == method) then table.insert(items, m) end
    end
    if #items == 0 then return util.notify('nothing to sign out of' .. (method and (' for ' .. method) or ''), vim.log.levels.WARN) end
    local function go(m)
      local p = { method = m.login }
      if m.login == 'api-key' then p.authType, p.envKey = m.authType, m.envKey end
      client:request('auth/logout', p, function(e)
        if e then return util.notify_error(e, 'sign-out failed') end
        util.notify('signed out: ' .. (m.label or m.id))
        require('qwen').refresh()
      end)
    end
    if #items == 1 and method ~= nil then return go(items[1]) end
    vim.ui.select(items, { prompt = 'Sign out of', kind = 'qwen.logout', format_item = H.method_text }, function(choice)
      if choice then go(choice) end
    end)
  end)
end

-- Qwen OAuth ---------------------------------------------------------------

--- Whether the server should ask us to open the browser.
function H.open_browser()
  local ob = config.options.open_browser
  if type(ob) == 'function' then return true end
  return ob ~= false and not config.over_ssh()
end

--- Starts a Qwen OAuth device login and shows its float.
function M.oauth(client)
  H.opened_uri = nil
  client:request('auth/login', { method = 'qwen-oauth', openBrowser = H.open_browser() }, function(err, res)
    if err then return util.notify_error(err, 'Qwen OAuth sign-in failed') end
    if H.float then H.close(true) end
    state.login_pending = res.loginId
    require('qwen').refresh()
    H.open_float(client, res)
    -- The sign-in may have ended before we saw the answer.
    local ended = H.ended[res.loginId]
    if ended then M.on_auth_change(ended) end
  end)
end

--- Logins that ended, by loginId (their float may not be open yet).
H.ended = {}

--- Called by the showDocument handler: whether `uri` was opened.
function M.on_show_document(uri, opened)
  H.opened_uri = opened and uri or nil
  if H.float then H.render() end
end

--- auth/didChange: ends the float of that login.
function M.on_auth_change(p)
  if p.loginId == nil or p.method ~= 'qwen-oauth' then return end
  if state.login_pending == p.loginId and p.state ~= 'pending' then state.login_pending = nil end
  local f = H.float
  if not f or f.login.loginId ~= p.loginId then
    if p.state ~= 'pending' then H.ended[p.loginId] = p end
    return
  end
  if p.state == 'signedIn' then
    f.result = { ok = true }
    H.render()
    util.notify('signed in with Qwen OAuth')
    H.close_later(M.close_delay.success)
  elseif p.state == 'error' or p.state == 'expired' or p.state == 'signedOut' then
    local reason = p.reason or (p.state == 'expired' and 'expired') or 'server'
    f.result = { ok = false, reason = reason, text = REASONS[reason] or reason }
    H.render()
    if reason == 'cancelled' then
      util.notify('Qwen OAuth sign-in cancelled')
    else
      util.notify('Qwen OAuth sign-in failed: ' .. f.result.text, vim.log.levels.ERROR)
    end
    H.close_later(M.close_delay.failure)
  end
end

function M.on_server_exit()
  if H.float and not H.float.result then
    H.float.result = { ok = false, reason = 'server', text = 'qwen-agent-server exited' }
    H.render()
    H.close_later(M.close_delay.failure)
  end
end

--- The float's buffer and window, for tests and statuslines (nil when closed).
function M.float() return H.float end

--- Copies `text` to the clipboard: `+` when a provider exists, else OSC 52.
function H.copy(text)
  if vim.fn.has('clipboard') == 1 then
    local ok = pcall(vim.fn.setreg, '+', text)
    if ok then return true end
  end
  if #vim.api.nvim_list_uis() > 0 then
    local ok = pcall(function() require('vim.ui.clipboard.osc52').copy('+')({ text }) end)
    return ok
  end
  return false
end

function H.open_float(client, login)
  local f = { client = client, login = login, copied = false }
  H.float = f
  if config.options.copy_code then f.copied = H.copy(login.userCode) end
  f.buf = vim.api.nvim_create_buf(false, true)
  vim.bo[f.buf].bufhidden = 'wipe'
  vim.bo[f.buf].filetype = 'qwen-login'
  local lines = H.lines(f)
  local width = 20
  for _, l in ipairs(lines) do width = math.max(width, vim.fn.strdisplaywidth(l) + 2) end
  width = math.min(width, math.max(vim.o.columns - 4, 20))
  f.win = vim.api.nvim_open_win(f.buf, true, {
    relative = 'editor',
    width = width,
    height = #lines,
    row = math.max(math.floor((vim.o.lines - #lines) / 2) - 1, 0),
    col = math.max(math.floor((vim.o.columns - width) / 2), 0),
    style = 'minimal',
    border = 'rounded',
    title = ' Qwen sign-in ',
    title_pos = 'center',
    noautocmd = true,
  })
  vim.wo[f.win].wrap = true
  vim.wo[f.win].winhighlight = 'NormalFloat:NormalFloat,FloatBorder:FloatBorder'
  local function map(lhs, fn, desc) vim.keymap.set('n', lhs, fn, { buffer = f.buf, nowait = true, desc = desc }) end
  map('q', M.cancel, 'Cancel the sign-in')
  map('<Esc>', M.cancel, 'Cancel the sign-in')
  map('o', function() vim.ui.open(f.login.verificationUriComplete) end, 'Open the link')
  map('<CR>', function() vim.ui.open(f.login.verificationUriComplete) end, 'Open the link')
  map('y', function()
    f.copied = H.copy(f.login.userCode)
    H.render()
  end, 'Copy the code')
  -- Closing the window any other way also cancels a pending sign-in.
  vim.api.nvim_create_autocmd('WinClosed', {
    pattern = tostring(f.win),
    once = true,
    callback = function()
      if H.float == f then
        if not f.result then H.cancel_request(f) end
        H.dispose(f)
      end
    end,
  })
  f.timer = vim.uv.new_timer()
  f.timer:start(1000, 1000, vim.schedule_wrap(function()
    if H.float == f and not f.result then H.render() end
  end))
  H.render()
end

function H.remaining(f)
  local t = f.login.expiresAt and H.parse_iso(f.login.expiresAt)
  if not t then return nil end
  return math.max(t - os.time(), 0)
end

--- Seconds since the epoch of an ISO-8601 UTC time ("2025-01-02T03:04:05.678Z").
function H.parse_iso(s)
  local y, mo, d, h, mi, se = tostring(s):match('^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)')
  if not y then return nil end
  local t = { year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h), min = tonumber(mi), sec = tonumber(se), isdst = false }
  -- os.time reads local time; correct by the zone offset.
  local utc_now = os.time(os.date('!*t'))
  local offset = os.time() - utc_now
  return os.time(t) + offset
end

function H.lines(f)
  local l = f.login
  local lines = {
    '',
    '  Code   ' .. tostring(l.userCode) .. (f.copied and '   (copied)' or ''),
    '  Link   ' .. tostring(l.verificationUriComplete or l.verificationUri),
    '',
  }
  if f.result and f.result.ok then
    table.insert(lines, '  ✓ Signed in')
  elseif f.result then
    table.insert(lines, '  ✗ Sign-in failed: ' .. f.result.text)
  else
    local opened = H.opened_uri ~= nil and H.opened_uri == l.verificationUriComplete
    local head = opened and '  Approve in the browser that just opened' or '  Open the link and enter the code'
    table.insert(lines, head)
    local left = H.remaining(f)
    table.insert(lines, '  Waiting for approval…' .. (left and ('  (expires in %d:%02d)'):format(math.floor(left / 60), left % 60) or ''))
    table.insert(lines, '')
    table.insert(lines, '  o open link   y copy code   q cancel')
  end
  table.insert(lines, '')
  return lines
end

function H.render()
  local f = H.float
  if not f or not vim.api.nvim_buf_is_valid(f.buf) then return end
  local lines = H.lines(f)
  vim.bo[f.buf].modifiable = true
  vim.api.nvim_buf_set_lines(f.buf, 0, -1, false, lines)
  vim.bo[f.buf].modifiable = false
  local ns = vim.api.nvim_create_namespace('qwen-login')
  vim.api.nvim_buf_clear_namespace(f.buf, ns, 0, -1)
  local function hl(row, col, len, group)
    pcall(vim.api.nvim_buf_set_extmark, f.buf, ns, row, col, { end_col = col + len, hl_group = group })
  end
  hl(1, 2, 4, 'Comment')
  hl(1, 9, #tostring(f.login.userCode), 'Title')
  hl(2, 2, 4, 'Comment')
  hl(2, 9, #lines[3] - 9, 'Underlined')
  for i, line in ipairs(lines) do
    if line:find('✓', 1, true) then hl(i - 1, 0, #line, 'DiagnosticOk') end
    if line:find('✗', 1, true) then hl(i - 1, 0, #line, 'DiagnosticError') end
    if line:find('q cancel', 1, true) then hl(i - 1, 0, #line, 'Comment') end
  end
  if vim.api.nvim_win_is_valid(f.win) then
    pcall(vim.api.nvim_win_set_height, f.win, #lines)
  end
end

--- Cancels the sign-in of the open float (`q` / `<Esc>` in it).
function M.cancel()
  local f = H.float
  if not f then return end
  if not f.result then
    H.cancel_request(f)
    f.result = { ok = false, reason = 'cancelled', text = REASONS.cancelled }
  end
  H.close(true)
end

function H.cancel_request(f)
  state.login_pending = nil
  f.client:request('auth/cancel', { loginId = f.login.loginId }, function(err)
    if err then log.warn('auth/cancel failed', err) end
  end)
  require('qwen').refresh()
end

function H.close_later(ms)
  local f = H.float
  vim.defer_fn(function()
    if H.float == f then H.close(true) end
  end, ms)
end

function H.dispose(f)
  if f.timer then
    f.timer:stop()
    if not f.timer:is_closing() then f.timer:close() end
    f.timer = nil
  end
  if H.float == f then H.float = nil end
end

function H.close()
  local f = H.float
  if not f then return end
  H.dispose(f)
  if f.win and vim.api.nvim_win_is_valid(f.win) then pcall(vim.api.nvim_win_close, f.win, true) end
end

return M
