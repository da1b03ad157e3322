--- `:Qwen status`, `:Qwen config` and `:Qwen trust`.
local util = require('qwen.util')

local M = {}
local H = {}

local STATE_HL = { signedIn = 'DiagnosticOk', signedOut = 'Comment', expired = 'DiagnosticWarn', pending = 'DiagnosticInfo', error = 'DiagnosticError' }
local STATE_TEXT = { signedIn = 'signed in', signedOut = 'signed out', expired = 'expired', pending = 'signing in', error = 'error' }

--- Runs several requests at once; `cb(results)` gets {err=, res=} by name.
function H.all(client, reqs, cb)
  local out, left = {}, 0
  for _ in pairs(reqs) do left = left + 1 end
  for name, r in pairs(reqs) do
    client:request(r[1], r[2], function(err, res)
      out[name] = { err = err, res = res }
      left = left - 1
      if left == 0 then cb(out) end
    end)
  end
end

function H.pad(s, n) return s .. string.rep(' ', math.max(n - vim.fn.strdisplaywidth(s), 0)) end

--- `:Qwen status`.
function M.status(client)
  H.all(client, { auth = { 'auth/status' }, models = { 'model/list' } }, function(r)
    if r.auth.err then return util.notify_error(r.auth.err, "couldn't get the sign-in state") end
    local b = util.lines()
    local info = client.server_info or {}
    b.add({ 'Qwen', 'Title' }, ('  %s %s'):format(info.name or 'qwen-agent-server', info.version or ''))
    b.add({ 'Workspace  ', 'Comment' }, util.short(client.root))
    b.add({ 'Server     ', 'Comment' }, table.concat(client.cmd or {}, ' '))
    b.add('')
    local sel = r.models.res and r.models.res.selected
    if sel and sel ~= vim.NIL then
      b.add({ 'Model      ', 'Comment' }, { sel.id, 'Identifier' }, ('  (%s)  '):format(sel.authType), { util.source_text(sel.source), 'Comment' })
      local m = require('qwen.state').find_model(r.models.res.groups, sel)
      if m and not m.available then b.add('           ', { 'unavailable: ' .. (m.unavailableReason or 'no credential'), 'DiagnosticWarn' }) end
    else
      b.add({ 'Model      ', 'Comment' }, { 'none selected (:Qwen model)', 'DiagnosticWarn' })
    end
    local a = r.auth.res
    local signed = {}
    for _, m in ipairs(a.methods or {}) do
      if m.state == 'signedIn' then table.insert(signed, m.envKey or m.label or m.id) end
    end
    if a.active and a.active ~= vim.NIL then
      b.add({ 'Auth       ', 'Comment' }, { a.active, 'Identifier' }, '  ', { util.source_text(a.activeSource ~= vim.NIL and a.activeSource or nil), 'Comment' })
    elseif #signed > 0 then
      -- Signed in, but no auth type is chosen yet: choosing a model does it.
      b.add({ 'Auth       ', 'Comment' }, { 'signed in: ' .. table.concat(signed, ', '), 'DiagnosticOk' }, { '  no auth type selected yet (:Qwen model)', 'Comment' })
    else
      b.add({ 'Auth       ', 'Comment' }, { 'not signed in (:Qwen login)', 'DiagnosticWarn' })
    end
    local st = require('qwen.state')
    for _, e in ipairs(st.settings_errors or {}) do
      b.add({ 'Settings   ', 'Comment' }, { ('%s%s: %s'):format(util.short(e.path), e.line and (':' .. e.line) or '', e.message), 'DiagnosticError' })
    end
    b.add('')
    b.add({ 'Sign-in methods', 'Title' })
    local w = 0
    for _, m in ipairs(a.methods or {}) do w = math.max(w, vim.fn.strdisplaywidth(m.label or m.id)) end
    for _, m in ipairs(a.methods or {}) do
      local mark = m.state == 'signedIn' and '●' or '○'
      local parts = { '  ', { mark, STATE_HL[m.state] }, ' ', H.pad(m.label or m.id, w), '  ', { STATE_TEXT[m.state] or m.state, STATE_HL[m.state] } }
      if m.credential then
        table.insert(parts, '  ' .. (m.credential.redacted or ''))
        table.insert(parts, { '  ' .. util.source_text(m.credential.source), 'Comment' })
      end
      if m.expiresAt then table.insert(parts, { '  expires ' .. util.local_time(m.expiresAt), 'Comment' }) end
      if m.verified == false then table.insert(parts, { '  rejected by the provider', 'DiagnosticError' }) end
      if m.region then table.insert(parts, { '  region ' .. m.region, 'Comment' }) end
      b.add(unpack(parts))
      if m.message and m.state ~= 'signedOut' then b.add('      ', { m.message, 'Comment' }) end
    end
    for _, wmsg in ipairs(a.warnings or {}) do b.add({ '! ' .. wmsg, 'DiagnosticWarn' }) end
    b.add('')
    b.add({ ':Qwen login  :Qwen logout  :Qwen model  :Qwen test  :Qwen config   q close', 'Comment' })
    util.scratch('qwen://status', b.lines, b.hls)
  end)
end

--- `:Qwen config`: the resolved graph, each value with where it came from.
function M.config(client)
  client:request('config/resolve', nil, function(err, c)
    if err then return util.notify_error(err, "couldn't read the configuration") end
    local b = util.lines()
    b.add({ 'Qwen configuration', 'Title' }, '  ', { util.short(c.cwd), 'Directory' })
    b.add('')
    b.add({ 'Settings files', 'Title' }, { '  (lowest precedence first)', 'Comment' })
    for _, l in ipairs(c.layers or {}) do
      local mark, hl, note = '·', 'Comment', 'missing'
      if l.error and l.error ~= vim.NIL then
        mark, hl, note = '✗', 'DiagnosticError', 'error: ' .. tostring(l.error)
      elseif l.exists and l.trusted == false then
        mark, hl, note = '!', 'DiagnosticWarn', 'not applied: folder not trusted (:Qwen trust)'
      elseif l.exists then
        mark, hl, note = '✓', 'DiagnosticOk', ''
      end
      b.add('  ', { mark, hl }, ' ', H.pad(l.scope or '?', 15), l.path or '', note ~= '' and '  ' or '', { note, hl })
    end
    b.add('')
    -- Every file loaded, in load order: each name comes from the first that sets it.
    local files = c.dotenvFiles
    if files and files ~= vim.NIL and #files > 0 then
      for _, d in ipairs(files) do
        b.add({ '.env', 'Title' }, '  ', d.path, { '  ' .. (d.scope or ''), 'Comment' })
        if d.loaded and #d.loaded > 0 then b.add({ '  loaded    ', 'Comment' }, table.concat(d.loaded, ' ')) end
        if d.excluded and #d.excluded > 0 then b.add({ '  excluded  ', 'Comment' }, table.concat(d.excluded, ' ')) end
        if d.shadowed and #d.shadowed > 0 then b.add({ '  shadowed  ', 'Comment' }, table.concat(d.shadowed, ' ')) end
      end
    else
      b.add({ '.env', 'Title' }, { '  none found', 'Comment' })
    end
    b.add('')
    H.section(b, 'Settings', c.settings, function(v)
      return type(v.value) == 'string' and v.value or vim.json.encode(v.value)
    end)
    b.add('')
    H.section(b, 'Environment', c.env, function(v)
      if v.redacted then return v.redacted end
      return tostring(v.value)
    end)
    if c.diagnostics and #c.diagnostics > 0 then
      b.add('')
      b.add({ 'Diagnostics', 'Title' })
      for _, x in ipairs(c.diagnostics) do
        local hl = x.severity == 'error' and 'DiagnosticError' or (x.severity == 'warning' and 'DiagnosticWarn' or 'DiagnosticInfo')
        b.add('  ', { x.severity or '', hl }, '  ', x.path or '', ': ', x.message or '')
      end
    end
    for _, w in ipairs(c.warnings or {}) do b.add({ '! ' .. w, 'DiagnosticWarn' }) end
    b.add('')
    b.add({ 'gf opens a file   q closes', 'Comment' })
    local _, win = util.scratch('qwen://config', b.lines, b.hls)
    -- An error line is read whole, not cut at the window's edge.
    vim.wo[win].wrap = true
    vim.wo[win].linebreak = true
  end)
end

--- A "name = value   source" table from a `{ [name] = {value|redacted, source} }` map.
function H.section(b, title, map, value_of)
  b.add({ title, 'Title' })
  local names = vim.tbl_keys(type(map) == 'table' and map or {})
  table.sort(names)
  if #names == 0 then return b.add({ '  (none)', 'Comment' }) end
  local rows, w1, w2 = {}, 0, 0
  for _, n in ipairs(names) do
    local v = value_of(map[n])
    if vim.fn.strchars(v) > 40 then v = vim.fn.strcharpart(v, 0, 39) .. "…" end
    table.insert(rows, { n, v, util.source_text(map[n].source) })
    w1 = math.max(w1, vim.fn.strdisplaywidth(n))
    w2 = math.max(w2, vim.fn.strdisplaywidth(v))
  end
  for _, r in ipairs(rows) do
    b.add('  ', { H.pad(r[1], w1), 'Identifier' }, ' = ', H.pad(r[2], w2), '  ', { r[3], 'Comment' })
  end
end

--- `:Qwen trust`: asks the person, then records the decision.
function M.trust(client)
  client:request('config/resolve', nil, function(err, c)
    if err then return util.notify_error(err, "couldn't read the configuration") end
    local ws
    for _, l in ipairs(c.layers or {}) do
      if l.scope == 'workspace' then ws = l end
    end
    local dir = c.cwd
    local parent = vim.fn.fnamemodify(dir, ':h')
    -- What holds now, not whether a decision was recorded (with folder
    -- trust off, every folder's settings apply).
    local now = ws and (ws.trusted and "its settings apply now" or "its settings are ignored now") or 'no workspace settings'
    local items = {
      { level = 'TRUST_FOLDER', label = 'Trust this folder: ' .. util.short(dir) },
      { level = 'TRUST_PARENT', label = 'Trust the parent folder: ' .. util.short(parent) },
      { level = 'DO_NOT_TRUST', label = "Don't trust: ignore this folder's .qwen/settings.json and .env" },
    }
    util.select(items, {
      prompt = ('Trust %s? (%s)'):format(util.short(dir), now),
      kind = 'qwen.trust',
      format_item = function(i) return i.label end,
    }, function(choice)
      if not choice then return end
      client:request('workspace/trust', { level = choice.level }, function(e, r)
        if e then return util.notify_error(e, "couldn't record the trust decision") end
        local text = ('recorded: %s is %s'):format(util.short(dir), r.trusted and 'trusted' or 'not trusted')
        for _, w in ipairs(r.warnings or {}) do text = text .. '\n' .. w end
        util.notify(text, r.warnings and #r.warnings > 0 and vim.log.levels.WARN or vim.log.levels.INFO)
        require('qwen').refresh()
      end)
    end)
  end)
end

return M
