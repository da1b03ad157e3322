--- Shared helpers: notifications, error text, sources, scratch buffers.
local M = {}

--- `vim.notify` with the plugin's title. Secrets never reach here: callers
--- pass server text, which carries only redacted forms.
function M.notify(msg, level)
  vim.notify('Qwen: ' .. msg, level or vim.log.levels.INFO, { title = 'Qwen' })
end

--- The text of a JSON-RPC error: its message, then `data.hint`, then the
--- first schema issue of an invalid-params error.
function M.error_text(err)
  if type(err) ~= 'table' then return tostring(err) end
  local parts = { err.message or ('error ' .. tostring(err.code)) }
  local data = type(err.data) == 'table' and err.data or {}
  if type(data.hint) == 'string' and data.hint ~= '' then table.insert(parts, data.hint) end
  if type(data.issues) == 'table' and type(data.issues[1]) == 'table' and data.issues[1].message then
    local issue = data.issues[1]
    local where = type(issue.path) == 'table' and table.concat(vim.tbl_map(tostring, issue.path), '.') or nil
    local text = (where and where ~= '' and (where .. ': ') or '') .. issue.message
    if not parts[1]:find(text, 1, true) then table.insert(parts, text) end
  end
  return table.concat(parts, '\n')
end

--- Tells the person about a server error, at ERROR level.
---@param what string|nil what was being done ("sign-in failed")
function M.notify_error(err, what)
  local text = M.error_text(err)
  M.notify((what and (what .. ': ') or '') .. text, vim.log.levels.ERROR)
end

--- Shows each of a result's `warnings` at WARN level.
function M.notify_warnings(result)
  for _, w in ipairs(type(result) == 'table' and result.warnings or {}) do
    M.notify(w, vim.log.levels.WARN)
  end
end

--- A path shortened with `~` for display.
function M.short(path)
  if type(path) ~= 'string' then return '' end
  return vim.fn.fnamemodify(path, ':~')
end

--- "settings (user) ~/.qwen/settings.json", "dotenv ~/.qwen/.env", "builtin".
function M.source_text(src)
  if type(src) ~= 'table' then return '' end
  local s = src.layer or '?'
  if src.scope then s = s .. ' (' .. src.scope .. ')' end
  if src.path then s = s .. ' ' .. M.short(src.path) end
  return s
end

--- Opens (or reuses) a read-only scratch buffer named `name` in a split.
---@param name string buffer name, e.g. "qwen://config"
---@param lines string[]
---@param hls {[1]: integer, [2]: integer, [3]: integer, [4]: string}[]|nil line, col, end_col, group
function M.scratch(name, lines, hls)
  local buf = vim.fn.bufnr(name)
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.bo[buf].buftype = 'nofile'
    vim.bo[buf].bufhidden = 'wipe'
    vim.bo[buf].swapfile = false
    vim.bo[buf].filetype = 'qwen'
    vim.keymap.set('n', 'q', '<Cmd>close<CR>', { buffer = buf, nowait = true, desc = 'Close' })
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  local ns = vim.api.nvim_create_namespace('qwen-view')
  vim.api.nvim_buf_clear_namespace(buf, ns, 0, -1)
  for _, h in ipairs(hls or {}) do
    pcall(vim.api.nvim_buf_set_extmark, buf, ns, h[1], h[2], { end_col = h[3] ~= -1 and h[3] or nil, end_row = h[3] == -1 and h[1] + 1 or nil, hl_group = h[4] })
  end
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd(('botright %dsplit'):format(math.min(math.max(#lines + 1, 6), math.floor(vim.o.lines / 2))))
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
    vim.wo[win].wrap = false
    vim.wo[win].number = false
    vim.wo[win].relativenumber = false
    vim.wo[win].signcolumn = 'no'
    vim.wo[win].cursorline = true
  else
    vim.api.nvim_set_current_win(win)
  end
  return buf, win
end

--- A builder for scratch buffer text with highlights.
function M.lines()
  local b = { lines = {}, hls = {} }
  --- Adds one line made of chunks: strings, or {text, hl_group}.
  function b.add(...)
    local text, col = '', 0
    local row = #b.lines
    for _, chunk in ipairs({ ... }) do
      local s, hl = chunk, nil
      if type(chunk) == 'table' then s, hl = chunk[1], chunk[2] end
      s = tostring(s or '')
      if hl then table.insert(b.hls, { row, col, col + #s, hl }) end
      text = text .. s
      col = col + #s
    end
    table.insert(b.lines, text)
  end
  return b
end

return M
