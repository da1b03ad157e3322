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
function M.format_item(item, width)
  local m = item.model
  local group = item.group .. string.rep(' ', math.max((width or 0) - vim.fn.strdisplaywidth(item.group), 0))
  local s = ('%s │ %s %s'):format(group, m.selected and '●' or ' ', m.id)
  if m.name and m.name ~= m.id then s = s .. '  ' .. m.name end
  if m.source and m.source.layer == 'remote' then s = s .. '  [remote]' end
  if not m.available then s = s .. '  (unavailable: ' .. (m.unavailableReason or 'no credential') .. ')' end
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
    if err then return util.notify_error(err, 'model/list') end
    util.notify_warnings(res)
    state.groups = res.groups
    local items = M.items(res.groups)
    if #items == 0 then
      return util.notify('the server lists no model: sign in first (:Qwen login)', vim.log.levels.WARN)
    end
    local width = 0
    for _, it in ipairs(items) do width = math.max(width, vim.fn.strdisplaywidth(it.group)) end
    vim.ui.select(items, {
      prompt = 'Qwen model' .. (scope and (' (' .. scope .. ')') or ''),
      kind = 'qwen.model',
      format_item = function(it) return M.format_item(it, width) end,
    }, function(choice)
      if not choice then return end
      if ask_scope and not scope then
        vim.ui.select(M.scopes, {
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

--- Sends model/select for a Model entry.
function M.select(client, m, scope, cb)
  client:request('model/select', { authType = m.authType, id = m.id, baseUrl = m.baseUrl, scope = scope }, function(err, res)
    if err then
      util.notify_error(err, 'model/select')
      if cb then cb(err) end
      return
    end
    state.selected = res.selected
    state.derive()
    local where = res.persistedTo and ('saved to ' .. util.short(res.persistedTo)) or 'for this session'
    util.notify(('model %s (%s), %s'):format(m.id, m.authType, where))
    util.notify_warnings(res)
    require('qwen').refresh()
    if cb then cb(nil, res) end
  end)
end

--- `:Qwen test`: probes the selected model with the smallest real request.
function M.test(client)
  client:request('model/list', nil, function(err, res)
    if err then return util.notify_error(err, 'model/list') end
    local sel = res.selected ~= vim.NIL and res.selected or nil
    if not sel then return util.notify('no model is selected: pick one with :Qwen model', vim.log.levels.WARN) end
    util.notify(('testing %s (%s)…'):format(sel.id, sel.authType))
    client:request('model/test', { authType = sel.authType, id = sel.id, baseUrl = sel.baseUrl }, function(e, r)
      if e then return util.notify_error(e, 'model/test ' .. sel.id) end
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
