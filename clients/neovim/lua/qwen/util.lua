--- Shared helpers: notifications, error text, sources, scratch buffers.
local M = {}

--- Whether `vim.notify` is Neovim's own (messages in the command line),
--- not a plugin's (nvim-notify, noice, fidget, ...).
function M.builtin_notify()
  local info = debug.getinfo(vim.notify, 'S')
  return info ~= nil and info.source:find('vim/_editor.lua', 1, true) ~= nil
end

--- `vim.notify` with the plugin's title. Secrets never reach here: callers
--- pass server text, which carries only redacted forms.
---
--- With the built-in `vim.notify`, a message that would not fit on the
--- command line (which makes Neovim stop at a hit-enter prompt) is shown on
--- one line, cut to fit; the whole text goes to the log (`:Qwen log`).
function M.notify(msg, level)
  level = level or vim.log.levels.INFO
  local text = 'Qwen: ' .. msg
  if M.builtin_notify() then
    local one = text:gsub('%s*\n%s*', ' · ')
    local room = math.max((vim.v.echospace > 0 and vim.v.echospace or vim.o.columns - 12) - 1, 20)
    if one ~= text or vim.fn.strdisplaywidth(one) > room then
      local log = require('qwen.log')
      log.message(level, text)
      local more = log.level() >= vim.log.levels.OFF and ' …' or ' … (:Qwen log)'
      if vim.fn.strdisplaywidth(one) > room then
        one = vim.fn.strcharpart(one, 0, math.max(room - vim.fn.strdisplaywidth(more), 10)) .. more
      end
      text = one
    end
  end
  vim.notify(text, level, { title = 'Qwen' })
end

--- The text of a JSON-RPC error: its message, then `data.hint`. An
--- invalid-params error says only what is wrong (the server's wording names
--- the method and the field, which mean nothing to a person).
function M.error_text(err)
  if type(err) ~= 'table' then return tostring(err) end
  local data = type(err.data) == 'table' and err.data or {}
  local parts = {}
  if err.code == -32602 and type(data.issues) == 'table' and #data.issues > 0 then
    for _, issue in ipairs(data.issues) do
      if type(issue) == 'table' and type(issue.message) == 'string' and not vim.tbl_contains(parts, issue.message) then
        table.insert(parts, issue.message)
      end
    end
    parts = { table.concat(parts, '; ') }
  else
    local msg = err.message or ('error ' .. tostring(err.code))
    -- "invalid params for auth/login: apiKey: the key ..." → "the key ...".
    msg = msg:gsub('^invalid params for [%w/$]+: ', '')
    table.insert(parts, msg)
  end
  if type(data.hint) == 'string' and data.hint ~= '' then table.insert(parts, data.hint) end
  return table.concat(parts, '\n')
end

--- Tells the person about a server error, at ERROR level.
---@param what string|nil what was being done, in words ("sign-in failed")
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

--- Whether `vim.ui.select` is Neovim's own (a numbered `inputlist()`).
function M.builtin_select()
  local info = debug.getinfo(vim.ui.select, 'S')
  return info ~= nil and info.source:find('vim/ui.lua', 1, true) ~= nil
end

--- `vim.ui.select`. With Neovim's own, numbered list, each line is padded
--- so that the text after "9: " and "10: " starts in one column, and cut to
--- the screen width (a wrapped line would push the list off screen).
function M.select(items, opts, on_choice)
  if M.builtin_select() and opts.format_item then
    local fmt, digits = opts.format_item, #tostring(#items)
    local index = {}
    for i, it in ipairs(items) do index[it] = i end
    opts = vim.tbl_extend('force', opts, {
      format_item = function(it)
        local i = index[it] or 1
        local text = string.rep(' ', digits - #tostring(i)) .. fmt(it)
        local room = vim.o.columns - digits - 3
        if vim.fn.strdisplaywidth(text) > room then text = vim.fn.strcharpart(text, 0, room - 1) .. '…' end
        return text
      end,
    })
  end
  vim.ui.select(items, opts, on_choice)
end

--- An ISO-8601 UTC time ("2026-12-02T14:05:00Z") as local time: "14:05"
--- today, else "Dec 3 14:05", with the time left ("in 2 h 5 min").
function M.local_time(iso)
  local y, mo, d, h, mi, se = tostring(iso):match('^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)')
  if not y then return tostring(iso) end
  local t = os.time({ year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h), min = tonumber(mi), sec = tonumber(se), isdst = false })
  -- os.time() read that as local time: shift it by the zone's offset.
  local now = os.time()
  local epoch = t + (now - os.time(os.date('!*t', now)))
  local same_day = os.date('%Y-%m-%d', epoch) == os.date('%Y-%m-%d', now)
  local text = os.date(same_day and '%H:%M' or '%b %d %H:%M', epoch)
  local left = epoch - now
  if left <= 0 then return text .. ' (passed)' end
  local hours, mins = math.floor(left / 3600), math.floor(left % 3600 / 60)
  return text .. ' (in ' .. (hours > 0 and (hours .. ' h ') or '') .. mins .. ' min)'
end

--- A path shortened with `~` for display.
function M.short(path)
  if type(path) ~= 'string' then return '' end
  return vim.fn.fnamemodify(path, ':~')
end

--- "settings (user) ~/.qwen/settings.json", "dotenv (home) ~/.qwen/.env", "builtin".
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
