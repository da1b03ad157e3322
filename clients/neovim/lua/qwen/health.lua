--- `:checkhealth qwen`.
local M = {}
local H = {}

--- Methods of PROTOCOL.md version 2 the plugin uses.
M.methods = { 'auth/methods', 'auth/status', 'auth/login', 'auth/cancel', 'auth/logout', 'model/list', 'model/select', 'model/test', 'config/resolve', 'workspace/trust', 'chat/start', 'chat/send', 'chat/list', 'chat/history' }

function M.check()
  local health = vim.health
  local config = require('qwen.config')
  local util = require('qwen.util')

  health.start('Neovim')
  local v = vim.version()
  if vim.fn.has('nvim-0.10') == 1 then
    health.ok('Neovim ' .. tostring(v))
  else
    health.error('Neovim ' .. tostring(v) .. ': 0.10 or later is required')
    return
  end
  if config.over_ssh() then
    health.info('over SSH: the Qwen OAuth link is shown, not opened (set open_browser to a function to change that)')
  end
  if vim.fn.has('clipboard') == 1 then
    health.ok('clipboard provider: the sign-in code is copied to +')
  else
    health.info('no clipboard provider: the sign-in code is copied through OSC 52 when a terminal UI is attached')
  end

  health.start('qwen-agent-server')
  local base, why = config.base_cmd()
  if not base then
    health.error('server not found: ' .. why, {
      'Install the qwen-agent-server package (npm install -g qwen-agent-server) so that it is on PATH',
      'or set cmd = { "node", "/path/to/dist/server.js" } in require("qwen").setup()',
    })
    return
  end
  health.ok('command: ' .. table.concat(base, ' '))
  local vcmd = vim.list_extend(vim.deepcopy(base), { '--version' })
  local ok, res = pcall(function() return vim.system(vcmd, { text = true }):wait(15000) end)
  if ok and res.code == 0 then
    health.ok('version: ' .. vim.trim(res.stdout or ''))
  else
    health.error('`' .. table.concat(vcmd, ' ') .. '` failed: ' .. (ok and vim.trim((res.stderr or '') .. ' (exit ' .. tostring(res.code) .. ')') or tostring(res)))
  end

  local client = require('qwen').client()
  local started, why_not = client:ensure()
  if not started then
    health.error('the server could not be started: ' .. tostring(why_not))
    return
  end
  vim.wait(20000, function() return client.status ~= 'starting' end, 20)
  if client.status ~= 'running' then
    local e = client.exit_info
    health.error(('the server did not start (%s)'):format(e and ('exit code ' .. tostring(e.code)) or client.status), {
      'See the log: ' .. require('qwen.log').path() .. ' (:Qwen log)',
      'Run the command by hand: ' .. table.concat(config.server_cmd() or base, ' '),
    })
    return
  end
  local info = client.server_info or {}
  local caps = client:qwen_capabilities()
  health.ok(('started in %s and answered initialize: %s %s'):format(util.short(client.root), info.name or '?', info.version or '?'))
  if not caps then
    health.error('the server announced no capabilities.experimental.qwenAgent')
  else
    if caps.protocolVersion == 2 then
      health.ok('protocol version 2')
    else
      health.warn(('protocol version %s; this plugin speaks version 2'):format(tostring(caps.protocolVersion)))
    end
    local have = {}
    for _, m in ipairs(caps.methods or {}) do have[m] = true end
    local missing = vim.tbl_filter(function(m) return not have[m] end, M.methods)
    if #missing == 0 then
      health.ok('methods: ' .. table.concat(M.methods, ', '))
    else
      health.warn('the server lacks: ' .. table.concat(missing, ', '))
    end
  end

  health.start('Sign-in and model')
  local err, auth = client:request_sync('auth/status', nil, 10000)
  if err then
    health.error("couldn't get the sign-in state: " .. util.error_text(err))
  else
    if auth.active and auth.active ~= vim.NIL then
      health.ok(('active auth: %s (%s)'):format(auth.active, util.source_text(auth.activeSource ~= vim.NIL and auth.activeSource or nil)))
    else
      health.warn('no active auth type', { 'Sign in with :Qwen login' })
    end
    local any = false
    for _, m in ipairs(auth.methods or {}) do
      if m.verified == false then
        -- Signed in or not, a key the provider refused is named.
        local cred = m.credential and (' ' .. (m.credential.redacted or '') .. ' from ' .. util.source_text(m.credential.source)) or ''
        health.error(('%s: the provider rejected the key%s'):format(m.label or m.id, cred), {
          'Sign in again with :Qwen login ' .. tostring(m.login),
          m.message or 'Check the key at the provider',
        })
        if m.state == 'signedIn' then any = true end
      elseif m.state == 'signedIn' then
        any = true
        local cred = m.credential and (' ' .. (m.credential.redacted or '') .. ' from ' .. util.source_text(m.credential.source)) or ''
        health.ok(('signed in: %s%s'):format(m.label or m.id, cred))
      elseif m.state == 'expired' or m.state == 'error' then
        health.warn(('%s: %s%s'):format(m.label or m.id, m.state, m.message and (' (' .. m.message .. ')') or ''))
      end
    end
    if not any then health.warn('not signed in to anything', { 'Sign in with :Qwen login' }) end
  end
  local merr, models = client:request_sync('model/list', nil, 10000)
  if merr then
    health.error("couldn't list the models: " .. util.error_text(merr))
  else
    local sel = models.selected ~= vim.NIL and models.selected or nil
    if sel then
      local m = require('qwen.state').find_model(models.groups, sel)
      if m and not m.available then
        health.warn(('selected model %s (%s) is unavailable: %s'):format(sel.id, sel.authType, m.unavailableReason or '?'), { 'Sign in with :Qwen login' })
      else
        health.ok(('selected model: %s (%s) from %s'):format(sel.id, sel.authType, util.source_text(sel.source)))
      end
    else
      health.warn('no model selected', { 'Pick one with :Qwen model' })
    end
  end

  health.start('Files the server reads')
  local cerr, c = client:request_sync('config/resolve', nil, 10000)
  if cerr then
    health.error("couldn't read the configuration: " .. util.error_text(cerr))
    return
  end
  for _, l in ipairs(c.layers or {}) do
    local label = ('%s settings: %s'):format(l.scope, l.path)
    if l.error and l.error ~= vim.NIL then
      health.error(label .. ': ' .. tostring(l.error), { 'Fix the file; the server will not write to it until it parses' })
    elseif l.exists and l.trusted == false then
      health.warn(label .. ': not applied, the folder is not trusted', { 'Trust it with :Qwen trust' })
    elseif l.exists then
      health.ok(label)
    else
      health.info(label .. ' (does not exist)')
    end
  end
  local files = c.dotenvFiles
  if files and files ~= vim.NIL and #files > 0 then
    for _, d in ipairs(files) do
      health.ok('.env: ' .. d.path .. (d.loaded and #d.loaded > 0 and (' (' .. table.concat(d.loaded, ', ') .. ')') or ''))
    end
  else
    health.info('no .env file found')
  end
  local named = {}
  for _, x in ipairs(c.diagnostics or {}) do
    local f = x.severity == 'error' and health.error or health.warn
    f(('%s: %s'):format(x.path or '?', x.message or ''))
    named[tostring(x.path) .. '\0' .. tostring(x.message)] = true
  end
  -- Errors the server published (with their line) and config/resolve left out.
  for _, e in ipairs(require('qwen.state').settings_errors or {}) do
    if not named[e.path .. '\0' .. tostring(e.message)] then
      health.error(('%s%s: %s'):format(e.path, e.line and (':' .. e.line) or '', e.message))
    end
  end
  health.info('plugin log: ' .. require('qwen.log').path())
end

return M
