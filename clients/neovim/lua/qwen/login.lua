--- Sign-in and sign-out: the method menu and its questions, built from the
--- server's `auth/methods` (no provider, variable name, region or key rule
--- is known here), API keys read with `inputsecret()`, and the Qwen OAuth
--- device-code float.
local config = require('qwen.config')
local state = require('qwen.state')
local util = require('qwen.util')
local log = require('qwen.log')

local M = {}
local H = {}

--- Milliseconds the float stays after the sign-in ended.
M.close_delay = { success = 1500, failure = 4000 }

local REASONS = {
  expired = 'the code expired before it was approved',
  denied = 'the sign-in was denied',
  cancelled = 'cancelled',
  network = 'the sign-in server could not be reached',
  server = 'the sign-in server answered with an error',
}

local STATE_TEXT = { signedIn = 'signed in', signedOut = 'signed out', expired = 'expired', pending = 'signing in', error = 'error' }

--- The last `auth/methods` answer (LoginOption[]), for completion.
M.options = nil

--- Asks the server for its login menu; `cb(err, options)`.
function M.fetch(client, cb)
  client:request('auth/methods', nil, function(err, res)
    if err then
      if err.code == -32601 then
        err = { message = 'this qwen-agent-server does not list its sign-in methods; update it (the plugin needs protocol version 2)' }
      end
      return cb(err)
    end
    M.options = res.methods or {}
    cb(nil, M.options)
  end)
end

--- The option ids and, for `id`, the values its arguments can take (for
--- completion). Asks a running server when nothing is cached yet.
function M.completion(client, id)
  if not M.options and client and client.status == 'running' then
    local err, res = client:request_sync('auth/methods', nil, 3000)
    if not err and res then M.options = res.methods end
  end
  local out = {}
  for _, o in ipairs(M.options or {}) do
    if id == nil then
      table.insert(out, o.id)
    elseif o.id == id then
      for _, f in ipairs(o.fields or {}) do
        for _, c in ipairs(f.choices or {}) do table.insert(out, c.value) end
      end
    end
  end
  return out
end

--- `:Qwen login [method] [args…]`: method is an `auth/methods` id (asked
--- when nil); args fill the option's fields that are not secret, in order
--- (`:Qwen login coding-plan global`, `:Qwen login api-key anthropic`).
--- A bare field value (`:Qwen login anthropic`) picks the one option that
--- offers it.
function M.login(client, method, ...)
  local args = { ... }
  M.fetch(client, function(err, options)
    if err then return util.notify_error(err, "couldn't get the sign-in methods") end
    if method then
      local opt = H.find(options, method)
      if not opt then
        local owner = H.owner_of_value(options, method)
        if owner then return H.run(client, owner, { method, unpack(args) }) end
        local ids = vim.tbl_map(function(o) return o.id end, options)
        return util.notify(('unknown sign-in method %q; one of: %s'):format(method, table.concat(ids, ', ')), vim.log.levels.ERROR)
      end
      return H.run(client, opt, args)
    end
    client:request('auth/status', nil, function(serr, status)
      local states = (not serr and status and status.methods) or {}
      util.select(options, {
        prompt = 'Sign in with',
        kind = 'qwen.login',
        format_item = function(o) return H.option_text(o, states) end,
      }, function(choice)
        if not choice then return H.cancelled() end
        H.run(client, choice, {})
      end)
    end)
  end)
end

function H.find(options, id)
  for _, o in ipairs(options) do
    if o.id == id then return o end
  end
end

--- The one option with a field choice `value`, or nil.
function H.owner_of_value(options, value)
  local found
  for _, o in ipairs(options) do
    for _, f in ipairs(o.fields or {}) do
      for _, c in ipairs(f.choices or {}) do
        if c.value == value then
          if found and found ~= o then return nil end
          found = o
        end
      end
    end
  end
  return found
end

--- "Coding Plan  Alibaba Cloud Model Studio…  ● signed in".
function H.option_text(o, states)
  local s = o.label or o.id
  if o.description and o.description ~= '' then s = s .. '  ' .. o.description end
  local signed = {}
  for _, st in ipairs(states) do
    if st.login == o.id and st.state == 'signedIn' then table.insert(signed, st.envKey or STATE_TEXT.signedIn) end
  end
  if #signed > 0 then s = s .. '  ● signed in' .. (o.fields and #o.fields > 0 and (' (' .. table.concat(signed, ', ') .. ')') or '') end
  return s
end

--- Asks for each field of `opt` in order (choices through vim.ui.select,
--- secrets through inputsecret(), other required text through
--- vim.ui.input), then signs in.
function H.run(client, opt, args)
  local fields = opt.fields or {}
  if #fields == 0 then return M.oauth(client, opt) end
  -- Arguments first, all checked before anything is asked.
  local given, argi = {}, 1
  for _, f in ipairs(fields) do
    local v = args[argi]
    if not f.secret and v ~= nil then
      argi = argi + 1
      if f.choices and #f.choices > 0 then
        local known = false
        for _, c in ipairs(f.choices) do
          if c.value == v then known = true end
        end
        if not known then
          local values = vim.tbl_map(function(c) return c.value end, f.choices)
          return util.notify(('unknown %s %q for %s; one of: %s'):format((f.label or f.name):lower(), v, opt.label or opt.id, table.concat(values, ', ')), vim.log.levels.ERROR)
        end
      end
      given[f.name] = H.value(f, v)
    end
  end
  local params = { method = opt.id }
  local i = 0
  local function next_field()
    i = i + 1
    local f = fields[i]
    if not f then return H.send(client, opt, params) end
    local label = f.label or f.name
    if given[f.name] ~= nil then
      params[f.name] = given[f.name]
      return next_field()
    end
    if f.secret then
      return H.ask_secret(opt, f, params, function(key)
        params[f.name] = key
        next_field()
      end)
    end
    if f.choices and #f.choices > 0 then
      if #f.choices == 1 then
        params[f.name] = f.choices[1].value
        return next_field()
      end
      -- Once arguments were given, an optional choice left out is the default.
      if f.optional and #args > 0 then return next_field() end
      return util.select(f.choices, {
        prompt = (opt.label or opt.id) .. ': ' .. label,
        kind = 'qwen.login.' .. f.name,
        format_item = function(c)
          local t = c.label or c.value
          if c.detail and c.detail ~= '' then t = t .. '  ' .. c.detail end
          if f.default ~= nil and c.value == f.default then t = t .. '  (default)' end
          return t
        end,
      }, function(c)
        if not c then return H.cancelled() end
        params[f.name] = c.value
        next_field()
      end)
    end
    -- An optional field with a default is left to the server; so is every
    -- optional field once arguments were given on the command line.
    if f.optional and (f.default ~= nil or #args > 0) then return next_field() end
    local hints = {}
    if f.optional then table.insert(hints, 'optional') end
    if f.rule and f.rule ~= '' then table.insert(hints, f.rule) end
    if f.placeholder and f.placeholder ~= '' then table.insert(hints, 'e.g. ' .. f.placeholder) end
    local prompt = ('%s %s%s: '):format(opt.label or opt.id, label, #hints > 0 and (' (' .. table.concat(hints, '; ') .. ')') or '')
    vim.ui.input({ prompt = prompt, default = type(f.default) == 'string' and f.default or nil }, function(v)
      if v == nil then return H.cancelled() end
      v = vim.trim(v)
      if v == '' then
        if f.optional then return next_field() end
        return H.cancelled()
      end
      params[f.name] = H.value(f, v)
      next_field()
    end)
  end
  next_field()
end

--- A typed-in value for field `f`: a list of model ids is split at commas
--- and spaces.
function H.value(f, v)
  if f.name == 'models' then return vim.split(v, '[,%s]+', { trimempty = true }) end
  return v
end

function H.cancelled() util.notify('sign-in cancelled') end

--- Reads a secret with `inputsecret()` (never echoed, never in history).
function H.ask_secret(opt, f, params, cb)
  local where = {}
  for _, g in ipairs(opt.fields or {}) do
    if g.choices and params[g.name] ~= nil and #g.choices > 1 then
      for _, c in ipairs(g.choices) do
        if c.value == params[g.name] then table.insert(where, c.label or c.value) end
      end
    end
  end
  if f.rule and f.rule ~= '' then table.insert(where, f.rule) end
  local prompt = ('%s %s%s: '):format(opt.label or opt.id, f.label or f.name, #where > 0 and (' (' .. table.concat(where, ', ') .. ')') or '')
  if opt.notice and opt.notice ~= '' then prompt = opt.notice .. '\n' .. prompt end
  local ok, key = pcall(vim.fn.inputsecret, prompt)
  -- Wipe the prompt line (it shows only asterisks, but leaves no trace);
  -- the redraw, or the next field's prompt would be printed after them.
  vim.api.nvim_echo({ { '' } }, false, {})
  vim.cmd.redraw()
  if not ok or key == nil or vim.trim(key) == '' then return H.cancelled() end
  cb(vim.trim(key))
end

--- Sends auth/login and tells what it did: the stored credential, whether
--- the provider accepted it, the model it selected, the settings it wrote.
function H.send(client, opt, params)
  local key = params.apiKey
  client:request('auth/login', params, function(err, res)
    if err then
      -- The server never echoes a key; strip it anyway, to be sure.
      local text = util.error_text(err)
      if key then text = text:gsub(vim.pesc(key), '…') end
      key = nil
      return util.notify('sign-in failed: ' .. text, vim.log.levels.ERROR)
    end
    key = nil
    if res.loginId then return H.oauth_started(client, opt, res) end
    util.notify(M.result_text(res, opt), res.warnings and #res.warnings > 0 and vim.log.levels.WARN or vim.log.levels.INFO)
    vim.api.nvim_exec_autocmds('User', { pattern = 'QwenLogin', modeline = false, data = { method = opt.id, result = res } })
    require('qwen').refresh()
  end, true)
  params.apiKey = nil
end

--- One message for a key login's answer, then its warnings on lines of
--- their own.
function M.result_text(res, opt)
  local cred = res.credential and res.credential.redacted or ''
  local s = ('signed in: %s %s'):format(res.envKey or opt.id, cred)
  if res.verified == true then
    s = s .. ', accepted by the provider'
  elseif res.verified == false then
    s = s .. ', not checked with the provider'
  end
  s = s .. ', stored in ' .. util.short(res.storedIn)
  local sel = res.selected ~= vim.NIL and res.selected or nil
  if sel then s = s .. '; model ' .. sel.id .. ' selected' end
  local changed = res.changed ~= vim.NIL and res.changed or nil
  for _, c in ipairs(changed or {}) do
    s = s .. ('; wrote %s in %s'):format(table.concat(c.keys or {}, ', '), util.short(c.path))
  end
  for _, w in ipairs(res.warnings or {}) do s = s .. '\n' .. w end
  return s
end

--- `:Qwen logout [method]`: picks among the methods that are signed in.
function M.logout(client, method)
  client:request('auth/status', nil, function(err, res)
    if err then return util.notify_error(err, "couldn't get the sign-in state") end
    local items = {}
    for _, m in ipairs(res.methods or {}) do
      local signed = m.state ~= 'signedOut'
      if signed and (method == nil or m.login == method or m.authType == method or m.id == method or m.envKey == method) then table.insert(items, m) end
    end
    if #items == 0 then return util.notify('nothing to sign out of' .. (method and (' for ' .. method) or ''), vim.log.levels.WARN) end
    local function go(m)
      local p = { method = m.login, authType = m.authType, envKey = m.envKey }
      client:request('auth/logout', p, function(e)
        if e then return util.notify_error(e, 'sign-out failed') end
        util.notify('signed out: ' .. (m.label or m.id))
        require('qwen').refresh()
      end)
    end
    if #items == 1 and method ~= nil then return go(items[1]) end
    util.select(items, { prompt = 'Sign out of', kind = 'qwen.logout', format_item = H.state_text }, function(choice)
      if choice then go(choice) end
    end)
  end)
end

--- One line for an AuthState: "OpenAI-compatible key (OPENAI_API_KEY)  [signed in]  sk-…f00d".
function H.state_text(m)
  local s = m.label or m.id
  s = s .. '  [' .. (STATE_TEXT[m.state] or tostring(m.state)) .. ']'
  if m.credential and m.credential.redacted then s = s .. '  ' .. m.credential.redacted end
  return s
end

-- Qwen OAuth ---------------------------------------------------------------

--- Whether the server should ask us to open the browser.
function H.open_browser()
  local ob = config.options.open_browser
  if type(ob) == 'function' then return true end
  return ob ~= false and not config.over_ssh()
end

--- Starts a device-code sign-in (an option without fields: Qwen OAuth)
--- and shows its float.
function M.oauth(client, opt)
  H.opened_uri = nil
  H.send(client, opt, { method = opt.id, openBrowser = H.open_browser() })
end

function H.oauth_started(client, opt, res)
  if H.float then H.close(true) end
  state.login_pending = res.loginId
  require('qwen').refresh()
  H.open_float(client, res, opt)
  -- The sign-in may have ended before we saw the answer.
  local ended = H.ended[res.loginId]
  if ended then M.on_auth_change(ended) end
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
  if p.loginId == nil then return end
  if state.login_pending == p.loginId and p.state ~= 'pending' then state.login_pending = nil end
  local f = H.float
  if not f or f.login.loginId ~= p.loginId then
    if p.state ~= 'pending' then H.ended[p.loginId] = p end
    return
  end
  if p.state == 'signedIn' then
    f.result = { ok = true }
    H.render()
    util.notify('signed in with ' .. f.name)
    H.close_later(M.close_delay.success)
  elseif p.state == 'error' or p.state == 'expired' or p.state == 'signedOut' then
    local reason = p.reason or (p.state == 'expired' and 'expired') or 'server'
    f.result = { ok = false, reason = reason, text = REASONS[reason] or reason }
    H.render()
    if reason == 'cancelled' then
      util.notify(f.name .. ' sign-in cancelled')
    else
      util.notify(f.name .. ' sign-in failed: ' .. f.result.text, vim.log.levels.ERROR)
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

--- Width of the float's text: the notice is wrapped to it.
local NOTICE_WIDTH = 60

function H.open_float(client, login, opt)
  local f = { client = client, login = login, copied = false, name = opt.label or opt.id, notice = opt.notice }
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
    title = ' ' .. f.name .. ' sign-in ',
    title_pos = 'center',
    noautocmd = true,
  })
  vim.wo[f.win].wrap = true
  vim.wo[f.win].winhighlight = 'NormalFloat:NormalFloat,FloatBorder:FloatBorder'
  local function map(lhs, fn, desc) vim.keymap.set('n', lhs, fn, { buffer = f.buf, nowait = true, desc = desc }) end
  map('q', M.cancel, 'Cancel the sign-in')
  map('<Esc>', M.cancel, 'Cancel the sign-in')
  map('o', function() H.open_link(f) end, 'Open the link')
  map('<CR>', function() H.open_link(f) end, 'Open the link')
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
        if not f.result then
          H.cancel_request(f)
          util.notify(f.name .. ' sign-in cancelled')
        end
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

--- `o` / `<CR>`: opens the link, or says in the float why it could not.
function H.open_link(f)
  local uri = f.login.verificationUriComplete or f.login.verificationUri
  local ob = config.options.open_browser
  local opened, why = false, nil
  if type(ob) == 'function' then
    local ok, res = pcall(ob, uri)
    opened, why = ok and res ~= false, ok and 'the open_browser function declined' or tostring(res)
  else
    local ok, cmd, err = pcall(vim.ui.open, uri)
    opened, why = ok and cmd ~= nil, ok and err or cmd
  end
  if opened then
    f.open_error = nil
    H.opened_uri = uri
  else
    log.warn('opening the sign-in link failed: ' .. tostring(why))
    f.open_error = 'No browser could be opened here: open the link on any device'
    util.notify(("couldn't open a browser (%s): open %s yourself and enter the code"):format(tostring(why or 'no opener'):gsub('^vim%.ui%.open: ', ''), uri), vim.log.levels.WARN)
  end
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
  local lines = { '' }
  if f.notice and f.notice ~= '' and not f.result then
    for _, para in ipairs(vim.split(f.notice, '\n')) do
      for _, w in ipairs(H.wrap(para, NOTICE_WIDTH)) do table.insert(lines, '  ' .. w) end
    end
    table.insert(lines, '')
  end
  f.code_row = #lines
  vim.list_extend(lines, {
    '  Code   ' .. tostring(l.userCode) .. (f.copied and '   (copied)' or ''),
    '  Link   ' .. tostring(l.verificationUriComplete or l.verificationUri),
    '',
  })
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
    if f.open_error then table.insert(lines, '  ! ' .. f.open_error) end
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
  local r = f.code_row or 1
  for i = 2, r - 1 do hl(i - 1, 0, #lines[i], 'DiagnosticWarn') end
  hl(r, 2, 4, 'Comment')
  hl(r, 9, #tostring(f.login.userCode), 'Title')
  hl(r + 1, 2, 4, 'Comment')
  hl(r + 1, 9, #lines[r + 2] - 9, 'Underlined')
  for i, line in ipairs(lines) do
    if line:find('✓', 1, true) then hl(i - 1, 0, #line, 'DiagnosticOk') end
    if line:find('✗', 1, true) then hl(i - 1, 0, #line, 'DiagnosticError') end
    if line:find('q cancel', 1, true) then hl(i - 1, 0, #line, 'Comment') end
    if line:find('^  ! ') then hl(i - 1, 0, #line, 'DiagnosticWarn') end
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
    util.notify(f.name .. ' sign-in cancelled')
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

--- Words of `text` in lines of at most `width` columns.
function H.wrap(text, width)
  local out, line = {}, ''
  for word in text:gmatch('%S+') do
    if line ~= '' and vim.fn.strdisplaywidth(line .. ' ' .. word) > width then
      table.insert(out, line)
      line = word
    else
      line = line == '' and word or (line .. ' ' .. word)
    end
  end
  if line ~= '' then table.insert(out, line) end
  return out
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
