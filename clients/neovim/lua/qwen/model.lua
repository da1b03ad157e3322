--- The model picker (`:Qwen model`) and the model probe (`:Qwen test`).
local util = require('qwen.util')
local state = require('qwen.state')

local M = {}
local H = {}

M.scopes = {
  { id = 'user', label = 'user: every project (~/.qwen/settings.json)' },
  { id = 'workspace', label = 'workspace: this project (.qwen/settings.json)' },
  { id = 'session', label = 'session: this Neovim only, not saved' },
}

--- The picker's items: one per model, in the server's group order.
---@return table[] items {group, model}
function M.items(groups)
  local items = {}
  for _, g in ipairs(groups or {}) do
    for _, m in ipairs(g.models or {}) do
      table.insert(items, { group = g.label or g.authType, authType = g.authType, model = m })
    end
  end
  return items
end

--- "Qwen OAuth │ ● coder-model  Qwen 3.6 Plus  (unavailable: not signed in…)".
--- The reason is cut so that the line fits the screen.
function M.format_item(item, width)
  local m = item.model
  local group = item.group .. string.rep(' ', math.max((width or 0) - vim.fn.strdisplaywidth(item.group), 0))
  local s = ('%s │ %s %s'):format(group, m.selected and '●' or ' ', m.id)
  if m.name and m.name ~= m.id then s = s .. '  ' .. m.name end
  if m.source and m.source.layer == 'remote' then s = s .. '  [remote]' end
  if not m.available then
    local reason = m.unavailableReason or 'no credential'
    local room = vim.o.columns - 8 - vim.fn.strdisplaywidth(s) - #'  (unavailable: )'
    if vim.fn.strdisplaywidth(reason) > room then reason = vim.fn.strcharpart(reason, 0, math.max(room - 1, 12)) .. '…' end
    s = s .. '  (unavailable: ' .. reason .. ')'
  end
  return s
end

--- `:Qwen model [scope]`: lists the server's models, then selects one.
---@param scope string|nil user | workspace | session (nil: the server's rule)
---@param ask_scope boolean|nil ask for the scope after the model
function M.pick(client, scope, ask_scope)
  if scope and not vim.tbl_contains({ 'user', 'workspace', 'session' }, scope) then
    return util.notify(('unknown scope %q: user, workspace or session'):format(scope), vim.log.levels.ERROR)
  end
  client:request('model/list', nil, function(err, res)
    if err then return util.notify_error(err, "couldn't list the models") end
    util.notify_warnings(res)
    state.groups = res.groups
    local items = M.items(res.groups)
    if #items == 0 then
      return util.notify('the server lists no model: sign in first (:Qwen login)', vim.log.levels.WARN)
    end
    local width = 0
    for _, it in ipairs(items) do width = math.max(width, vim.fn.strdisplaywidth(it.group)) end
    util.select(items, {
      prompt = 'Qwen model' .. (scope and (' (' .. scope .. ')') or ''),
      kind = 'qwen.model',
      format_item = function(it) return M.format_item(it, width) end,
    }, function(choice)
      if not choice then return end
      if ask_scope and not scope then
        util.select(M.scopes, {
          prompt = 'Save the choice for',
          kind = 'qwen.scope',
          format_item = function(s) return s.label end,
        }, function(s)
          if s then M.select(client, choice.model, s.id) end
        end)
      else
        M.select(client, choice.model, scope)
      end
    end)
  end)
end

--- Sends model/select for a Model entry; a model without its credential
--- is selected, then the sign-in that gives it one is offered.
---@param quiet boolean|nil no message (the caller tells)
function M.select(client, m, scope, cb, quiet)
  client:request('model/select', { authType = m.authType, id = m.id, baseUrl = m.baseUrl, scope = scope }, function(err, res)
    if err then
      if not quiet then util.notify_error(err, ("couldn't select %s"):format(m.id)) end
      if cb then cb(err) end
      return
    end
    state.selected = res.selected
    state.derive()
    if scope == 'session' then
      require('qwen').remember_session_model({ authType = m.authType, id = m.id, baseUrl = m.baseUrl })
    elseif not res.overriddenBy then
      require('qwen').remember_session_model(nil)
    end
    require('qwen').refresh()
    if cb then cb(nil, res) end
    if quiet then return end
    local where = res.persistedTo and ('saved to ' .. util.short(res.persistedTo)) or 'for this session'
    if m.available == false then
      return H.offer_sign_in(client, m, where)
    end
    local text = ('model %s (%s), %s'):format(m.id, m.authType, where)
    for _, w in ipairs(res.warnings or {}) do text = text .. '\n' .. w end
    util.notify(text, res.warnings and #res.warnings > 0 and vim.log.levels.WARN or vim.log.levels.INFO)
  end)
end

--- The `auth/methods` option that signs in for model `m`, with the
--- arguments that answer its questions: its preset, else the option whose
--- envKey is the model's, else one whose auth type is the model's and that
--- can take the model's envKey.
function H.login_for(options, m)
  for _, o in ipairs(options) do
    if m.preset and o.id == m.preset then return o, {} end
  end
  for _, o in ipairs(options) do
    if m.envKey and o.envKey == m.envKey then return o, {} end
  end
  for _, o in ipairs(options) do
    if o.authType == m.authType and (o.fields == nil or #o.fields == 0) then return o, {} end
  end
  for _, o in ipairs(options) do
    local takes_env = false
    for _, f in ipairs(o.fields or {}) do
      if f.name == 'envKey' then takes_env = true end
    end
    for _, f in ipairs(o.fields or {}) do
      for _, c in ipairs(f.choices or {}) do
        if f.name == 'authType' and c.value == m.authType and (takes_env or not m.envKey) then
          local args = { m.authType }
          if m.envKey then table.insert(args, m.envKey) end
          return o, args
        end
      end
    end
  end
end

function H.offer_sign_in(client, m, where)
  local login = require('qwen.login')
  local why = m.unavailableReason or 'no credential'
  H.has_credential(client, m, function(has)
    -- Signing in would not help: say what would.
    if has then return util.notify(('model %s, %s; it is unavailable: %s'):format(m.id, where, why), vim.log.levels.WARN) end
    H.offer_options(client, m, where, why, login)
  end)
end

--- Whether auth/status shows the model's credential signed in.
function H.has_credential(client, m, cb)
  client:request('auth/status', nil, function(err, res)
    if err then return cb(false) end
    for _, st in ipairs(res.methods or {}) do
      if st.state == 'signedIn' and st.authType == m.authType and (m.envKey == nil or st.envKey == m.envKey) then return cb(true) end
    end
    cb(false)
  end)
end

function H.offer_options(client, m, where, why, login)
  login.fetch(client, function(err, options)
    local opt, args
    if not err then opt, args = H.login_for(options, m) end
    if not opt then
      return util.notify(('model %s, %s; it is unavailable: %s'):format(m.id, where, why), vim.log.levels.WARN)
    end
    local choices = {
      { label = ('Sign in with %s now'):format(opt.label or opt.id), go = true },
      { label = 'Not now' },
    }
    util.select(choices, {
      prompt = ('%s is selected (%s) but unavailable: %s'):format(m.id, where, why),
      kind = 'qwen.model.signin',
      format_item = function(c) return c.label end,
    }, function(c)
      if c and c.go then
        login.login(client, opt.id, unpack(args))
      else
        util.notify(('model %s, %s; unavailable until you sign in (:Qwen login %s)'):format(m.id, where, opt.id), vim.log.levels.WARN)
      end
    end)
  end)
end

--- `:Qwen test`: probes the selected model with the smallest real request.
function M.test(client)
  client:request('model/list', nil, function(err, res)
    if err then return util.notify_error(err, "couldn't list the models") end
    local sel = res.selected ~= vim.NIL and res.selected or nil
    if not sel then return util.notify('no model is selected: pick one with :Qwen model', vim.log.levels.WARN) end
    util.notify(('testing %s (%s)…'):format(sel.id, sel.authType))
    client:request('model/test', { authType = sel.authType, id = sel.id, baseUrl = sel.baseUrl }, function(e, r)
      if e then return util.notify_error(e, ("couldn't test %s"):format(sel.id)) end
      util.notify_warnings(r)
      if r.ok then
        util.notify(('%s works (%d ms)'):format(sel.id, r.latencyMs or 0))
      else
        local x = r.error or {}
        local status = x.status and (' [HTTP ' .. tostring(x.status) .. ']') or ''
        util.notify(('%s failed: %s%s'):format(sel.id, x.message or x.code or 'unknown error', status), vim.log.levels.ERROR)
      end
    end)
  end)
end

return M
