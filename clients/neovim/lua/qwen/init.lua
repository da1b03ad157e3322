--- qwen.nvim: sign in to AI coding models and pick one, through
--- qwen-agent-server. See `:h qwen`.
---
--- The plugin holds no provider logic: it asks the server and shows the
--- answer. One server process per Neovim, started on first use.
local config = require('qwen.config')
local state = require('qwen.state')
local util = require('qwen.util')
local log = require('qwen.log')

local M = {}
local H = {}

--- The state shown by `statusline()` (read only). See `:h qwen-state`.
M.state = state

--- Sets options (see `:h qwen-options`). Can be called again to change them;
--- a running server keeps its command until `:Qwen restart`.
---@param opts table|nil
function M.setup(opts)
  config.set(opts)
  M._did_setup = true
  -- A plugin manager that adds the plugin late may not source plugin/.
  if vim.fn.exists(':Qwen') ~= 2 then require('qwen.command').create() end
  H.autocmds()
  if config.options.statusline.enabled then
    if vim.v.vim_did_enter == 1 then
      vim.schedule(H.autostart)
    else
      vim.api.nvim_create_autocmd('VimEnter', { group = H.group(), once = true, callback = function() vim.schedule(H.autostart) end })
    end
  end
end

--- The shared client, created on first use.
function M.client()
  if not H.client then
    H.client = require('qwen.client').new({
      notification = H.on_notification,
      show_document = H.show_document,
      ready = H.on_ready,
      exit = H.on_exit,
      start_failed = function(why)
        state.server_missing = why
        H.redraw()
      end,
    })
    H.autocmds()
  end
  return H.client
end

--- Text for a statusline: "Qwen: <model>", with "(signed out)" when its
--- credential is missing and "[settings error]" while a settings file is
--- broken; "Qwen: server not found" when it can't start; "" before the
--- server has started. See `:h qwen.statusline()`.
function M.statusline()
  local server = H.client and H.client.status or 'stopped'
  state.server = server
  local fmt = config.options.statusline.format
  if fmt then
    local ok, s = pcall(fmt, state)
    return ok and tostring(s or '') or ''
  end
  return M.status_parts().text
end

--- What the statusline shows: `{ text, level }`, level "ok" | "warn" |
--- "error" | "off" (for colours: the QwenStatus* highlight groups).
function M.status_parts()
  local server = H.client and H.client.status or 'stopped'
  state.server = server
  if state.server_missing then return { text = 'Qwen: server not found', level = 'error' } end
  if server == 'stopped' then return { text = '', level = 'off' } end
  if server == 'exited' then return { text = 'Qwen: stopped', level = 'error' } end
  local mark = #state.settings_errors > 0 and ' [settings error]' or ''
  local level = mark ~= '' and 'error' or 'ok'
  if state.login_pending then return { text = 'Qwen: signing in…' .. mark, level = mark ~= '' and 'error' or 'warn' } end
  if not state.auth then return { text = 'Qwen: …' .. mark, level = level } end
  if state.selected then
    if not state.signed_in and level == 'ok' then level = 'warn' end
    local why = ''
    if not state.signed_in then why = H.has_credential(state.selected) and ' (unavailable)' or ' (signed out)' end
    return { text = 'Qwen: ' .. state.selected.id .. why .. mark, level = level }
  end
  if not state.signed_in and level == 'ok' then level = 'warn' end
  return { text = (state.signed_in and 'Qwen: signed in' or 'Qwen: signed out') .. mark, level = level }
end

--- The highlight group for the statusline's state: QwenStatusOk,
--- QwenStatusWarn or QwenStatusError.
function M.status_hl()
  local level = M.status_parts().level
  return level == 'error' and 'QwenStatusError' or (level == 'warn' and 'QwenStatusWarn' or 'QwenStatusOk')
end

--- The statusline text in its highlight group, for 'statusline':
--- `set statusline=%{%v:lua.require'qwen'.statusline_hl()%}`.
function M.statusline_hl()
  local text = M.statusline()
  if text == '' then return '' end
  return '%#' .. M.status_hl() .. '#' .. text:gsub('%%', '%%%%') .. '%*'
end

--- Whether the credential of the model `ref` is signed in (its model is
--- unavailable for another reason then).
function H.has_credential(ref)
  local m = state.model or ref
  for _, st in ipairs(state.auth and state.auth.methods or {}) do
    if st.state == 'signedIn' and st.authType == m.authType and (m.envKey == nil or st.envKey == m.envKey) then return true end
  end
  return false
end

--- Asks the server for auth/status and model/list and updates `state`.
---@param cb function|nil called when done
function M.refresh(cb)
  local client = M.client()
  local left = 2
  local function done()
    left = left - 1
    if left > 0 then return end
    state.derive()
    H.redraw()
    if cb then cb() end
  end
  client:request('auth/status', nil, function(err, res)
    if not err then state.auth = res end
    done()
  end)
  client:request('model/list', nil, function(err, res)
    if not err and res then
      state.groups = res.groups
      state.selected = res.selected ~= vim.NIL and res.selected or nil
    end
    done()
  end)
end

-- Commands -----------------------------------------------------------------

--- `:Qwen status`: sign-in state, selected model and server in a buffer.
function M.status() require('qwen.views').status(M.client()) end

--- `:Qwen login [method] [arg]`: see `:h :Qwen-login`.
function M.login(method, ...) require('qwen.login').login(M.client(), method, ...) end

--- `:Qwen logout [method]`.
function M.logout(method) require('qwen.login').logout(M.client(), method) end

--- `:Qwen model [scope]`; `ask_scope` asks user / workspace / session.
function M.model(scope, ask_scope) require('qwen.model').pick(M.client(), scope, ask_scope) end

--- `:Qwen test`: probes the selected model.
function M.test() require('qwen.model').test(M.client()) end

--- `:Qwen config`: the resolved configuration with sources.
function M.config() require('qwen.views').config(M.client()) end

--- `:Qwen trust`: asks, then records the workspace trust decision.
function M.trust() require('qwen.views').trust(M.client()) end

--- `:Qwen restart`: stops the server and starts a new one (a model chosen
--- for this session only is chosen again in the new one).
function M.restart()
  local c = M.client()
  c:stop(2000)
  H.announce_ready = true
  local ok, why = c:start()
  if not ok then
    H.announce_ready = nil
    util.notify(why, vim.log.levels.ERROR)
  end
end

--- Remembers (or forgets, with nil) the model chosen for this session
--- only, to choose it again in a new server process.
function M.remember_session_model(m) H.session_model = m end

--- `:[range]Qwen chat [list | new] [text]`: see `:h :Qwen-chat`.
function M.chat(args, o) return require('qwen.chat').command(M.client(), args, o or {}) end

--- `:Qwen log`: opens the plugin's log file.
function M.log() vim.cmd.split(vim.fn.fnameescape(log.path())) end

M.subcommands = {
  status = function() M.status() end,
  login = function(a) M.login(unpack(a)) end,
  logout = function(a) M.logout(a[1]) end,
  model = function(a, bang) M.model(a[1], bang) end,
  test = function() M.test() end,
  config = function() M.config() end,
  trust = function() M.trust() end,
  restart = function() M.restart() end,
  log = function() M.log() end,
  chat = function(a, _, o) M.chat(a, o) end,
}

--- Runs `:Qwen` (the user command's callback).
function M.command(o)
  local args = vim.deepcopy(o.fargs or {})
  local name = table.remove(args, 1) or 'status'
  local f = M.subcommands[name]
  if not f then
    util.notify(('unknown subcommand %q; one of: %s'):format(name, table.concat(H.names(), ', ')), vim.log.levels.ERROR)
    return
  end
  f(args, o.bang, o)
end

--- Completion for `:Qwen`: the sign-in method ids and their choices come
--- from the server (`auth/methods`).
function M.complete(arglead, cmdline, _)
  local words = vim.split(cmdline:gsub('^%s*%S+!?%s*', ''), '%s+', { trimempty = true })
  if arglead ~= '' then table.remove(words) end
  local list = {}
  local login = require('qwen.login')
  if #words == 0 then
    list = H.names()
  elseif #words == 1 and (words[1] == 'login' or words[1] == 'logout') then
    list = login.completion(H.client_if_started())
  elseif #words == 1 and words[1] == 'model' then
    list = { 'user', 'workspace', 'session' }
  elseif #words == 1 and words[1] == 'chat' then
    list = { 'list', 'new' }
  elseif #words == 2 and words[1] == 'login' then
    list = login.completion(H.client_if_started(), words[2])
  end
  return vim.tbl_filter(function(s) return vim.startswith(s, arglead) end, list)
end

--- The client, started if it is not running (completion asks the server).
function H.client_if_started()
  local c = M.client()
  if c.status ~= 'running' then
    c:ensure()
    vim.wait(3000, function() return c.status ~= 'starting' end, 10)
  end
  return c
end

-- Helpers ------------------------------------------------------------------

function H.names()
  local n = vim.tbl_keys(M.subcommands)
  table.sort(n)
  return n
end

function H.group() return vim.api.nvim_create_augroup('qwen', { clear = false }) end

function H.autocmds()
  if H.did_autocmds then return end
  H.did_autocmds = true
  local g = H.group()
  vim.api.nvim_create_autocmd('VimLeavePre', {
    group = g,
    callback = function()
      if H.client and H.client.rpc then H.client:stop(500) end
    end,
  })
  require('qwen.diagnostics').setup(g, function()
    -- Opening a settings or .env file starts the server, so that its
    -- diagnostics show; only once the plugin is set up.
    if M._did_setup and M.client().status ~= 'running' and M.client().status ~= 'starting' then
      M.client():start()
    end
  end)
end

function H.autostart()
  local c = M.client()
  -- Only a client that never ran: not one stopped on purpose meanwhile.
  if c.status == 'stopped' and c.generation == 0 then
    local ok, why = c:start()
    if not ok then H.server_missing(why) end
  end
end

--- The server could not be started (the statusline says so too).
function H.server_missing(why) util.notify(why, vim.log.levels.ERROR) end

function H.redraw()
  pcall(vim.cmd.redrawstatus, { bang = true })
end

function H.on_ready(client)
  state.server_missing = nil
  H.redraw()
  local session = H.session_model
  if client.generation > 1 and session then
    -- A session choice lives in the server process: give it to the new one.
    require('qwen.model').select(client, session, 'session', function(err)
      if err then
        util.notify(('the model chosen for this session (%s) could not be chosen again in the new server'):format(session.id), vim.log.levels.WARN)
      else
        H.session_model = session
        util.notify(('restarted; kept the model chosen for this session: %s'):format(session.id))
      end
    end, true)
  end
  if H.announce_ready then
    H.announce_ready = nil
    local info = client.server_info or {}
    if not session then util.notify(('restarted %s %s'):format(info.name or 'qwen-agent-server', info.version or '')) end
  end
  -- State is fetched after every start (also the restart after an exit).
  if not H.refreshing then
    H.refreshing = true
    vim.schedule(function()
      M.refresh(function() H.refreshing = false end)
    end)
  end
end

function H.on_exit(_, code, signal, expected)
  state.login_pending = nil
  -- The next server publishes its own.
  state.settings_errors = {}
  H.redraw()
  require('qwen.login').on_server_exit()
  vim.api.nvim_exec_autocmds('User', { pattern = 'QwenServerExited', modeline = false, data = { code = code, signal = signal, expected = expected } })
  if not expected then
    util.notify(
      ('qwen-agent-server exited unexpectedly (code %s%s)%s; it restarts on the next :Qwen command. Log (:Qwen log): %s'):format(
        code,
        signal ~= 0 and (', signal ' .. signal) or '',
        H.session_model and (', with the model chosen for this session (' .. H.session_model.id .. '), which the new one gets again') or '',
        util.short(log.path())
      ),
      vim.log.levels.ERROR
    )
  end
end

--- Debounced refresh after a notification.
function H.schedule_refresh()
  if H.refresh_timer then H.refresh_timer:stop() end
  H.refresh_timer = vim.defer_fn(function()
    H.refresh_timer = nil
    if M.client().status == 'running' then M.refresh() end
  end, 30)
end

function H.on_notification(method, params)
  params = params or {}
  if method == 'model/didChange' then
    state.selected = params.selected ~= vim.NIL and params.selected or nil
    state.derive()
    H.redraw()
    vim.api.nvim_exec_autocmds('User', { pattern = 'QwenModelChanged', modeline = false, data = params })
    H.schedule_refresh()
  elseif method == 'auth/didChange' then
    require('qwen.login').on_auth_change(params)
    vim.api.nvim_exec_autocmds('User', { pattern = 'QwenAuthChanged', modeline = false, data = params })
    H.schedule_refresh()
  elseif method == 'config/didChange' then
    vim.api.nvim_exec_autocmds('User', { pattern = 'QwenConfigChanged', modeline = false, data = params })
    H.schedule_refresh()
  elseif method == 'chat/didUpdate' then
    -- No chat module loaded: no chat buffer to stream into.
    local chat = package.loaded['qwen.chat']
    if chat then chat.on_update(params) end
  elseif method == 'textDocument/publishDiagnostics' then
    require('qwen.diagnostics').publish(params)
  elseif method == 'window/showMessage' then
    local map = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.INFO }
    util.notify(tostring(params.message), map[params.type] or vim.log.levels.INFO)
  end
end

--- window/showDocument: open the browser (or not) and say whether it opened.
function H.show_document(params)
  local uri = params.uri
  if type(uri) ~= 'string' or not uri:match('^https?://') then return { success = false } end
  local opened = false
  local ob = config.options.open_browser
  if type(ob) == 'function' then
    local ok, res = pcall(ob, uri)
    opened = ok and res ~= false
  elseif ob ~= false and not config.over_ssh() then
    local cmd, err = vim.ui.open(uri)
    if not cmd then log.warn('vim.ui.open failed: ' .. tostring(err)) end
    opened = cmd ~= nil
  end
  require('qwen.login').on_show_document(uri, opened)
  return { success = opened }
end

return M
