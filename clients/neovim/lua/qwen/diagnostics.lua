--- Shows the server's `textDocument/publishDiagnostics` (settings and .env
--- files) through `vim.diagnostic` in the buffers of those files.
local M = {}
local H = {}

M.ns = vim.api.nvim_create_namespace('qwen')

--- Latest diagnostics by real path.
H.by_path = {}

function H.key(path)
  if not path or path == '' then return nil end
  path = vim.fs.normalize(path)
  return vim.uv.fs_realpath(path) or path
end

function H.buffers_for(key)
  local out = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].buftype == '' then
      local name = vim.api.nvim_buf_get_name(b)
      if name ~= '' and H.key(name) == key then table.insert(out, b) end
    end
  end
  return out
end

--- LSP diagnostics → vim.diagnostic items for `buf`.
function H.convert(buf, diags)
  local out = {}
  for _, d in ipairs(diags or {}) do
    local r = d.range or { start = { line = 0, character = 0 }, ['end'] = { line = 0, character = 0 } }
    local function col(pos)
      local line = vim.api.nvim_buf_get_lines(buf, pos.line, pos.line + 1, false)[1]
      if not line then return pos.character end
      local ok, c
      if vim.fn.has('nvim-0.11') == 1 then
        ok, c = pcall(vim.str_byteindex, line, 'utf-16', pos.character, false)
      else
        ok, c = pcall(vim.str_byteindex, line, pos.character, true)
      end
      return ok and c or math.min(pos.character, #line)
    end
    table.insert(out, {
      lnum = r.start.line,
      col = col(r.start),
      end_lnum = r['end'].line,
      end_col = col(r['end']),
      severity = d.severity or vim.diagnostic.severity.ERROR,
      message = d.message,
      source = d.source or 'qwen',
      code = d.code,
    })
  end
  return out
end

function H.apply(buf, key)
  local diags = H.by_path[key]
  if diags == nil then return end
  vim.diagnostic.set(M.ns, buf, H.convert(buf, diags))
end

--- Handles a publishDiagnostics notification.
function M.publish(params)
  if type(params) ~= 'table' or type(params.uri) ~= 'string' then return end
  local ok, path = pcall(vim.uri_to_fname, params.uri)
  if not ok then return end
  local key = H.key(path)
  H.by_path[key] = params.diagnostics or {}
  for _, b in ipairs(H.buffers_for(key)) do H.apply(b, key) end
  H.update_errors(path, params.diagnostics or {})
end

--- Errors already told, by "path\0message", so that each is told once.
H.told = {}

--- Keeps `state.settings_errors` and tells the person of each new error in
--- a file the server reads (a broken settings.json is otherwise silent:
--- the server goes on with its last good contents).
function H.update_errors(path, diags)
  local state = require('qwen.state')
  local kept = vim.tbl_filter(function(e) return e.path ~= path end, state.settings_errors)
  local new = {}
  for _, d in ipairs(diags) do
    if (d.severity or 1) == 1 then
      local line = d.range and d.range.start and d.range.start.line + 1 or nil
      local e = { path = path, message = d.message, line = line }
      table.insert(kept, e)
      local id = path .. '\0' .. tostring(d.message)
      if not H.told[id] then
        H.told[id] = true
        table.insert(new, e)
      end
    end
  end
  -- One message per file (several would stop at a hit-enter prompt).
  if #new > 0 then
    local e = new[1]
    local util = require('qwen.util')
    util.notify(
      ('%s%s: %s%s (:Qwen config)'):format(
        util.short(path),
        e.line and (':' .. e.line) or '',
        e.message,
        #new > 1 and (' (and %d more)'):format(#new - 1) or ''
      ),
      vim.log.levels.ERROR
    )
  end
  -- Fixed: the same error again later is told again.
  for id in pairs(H.told) do
    if vim.startswith(id, path .. '\0') then
      local still = false
      for _, e in ipairs(kept) do
        if e.path == path and id == path .. '\0' .. tostring(e.message) then still = true end
      end
      if not still then H.told[id] = nil end
    end
  end
  state.settings_errors = kept
  pcall(vim.cmd.redrawstatus, { bang = true })
end

--- The diagnostics last published for `path` (LSP form), or nil.
function M.get(path) return H.by_path[H.key(path)] end

--- Names of files the server publishes for, to start it when one is opened.
local PATTERNS = { '*/.qwen/settings.json', '*/.qwen/.env', '*/.qwen/*.json' }

--- Applies stored diagnostics to buffers as they are read.
---@param group integer augroup
---@param on_qwen_file function called when a Qwen settings file is opened
function M.setup(group, on_qwen_file)
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'BufFilePost' }, {
    group = group,
    callback = function(ev)
      local key = H.key(vim.api.nvim_buf_get_name(ev.buf))
      if key and H.by_path[key] then H.apply(ev.buf, key) end
    end,
  })
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
    group = group,
    pattern = PATTERNS,
    callback = function() on_qwen_file() end,
  })
end

return M
