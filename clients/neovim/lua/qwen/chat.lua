--- `:Qwen chat`: a chat with the chosen model in a markdown buffer.
---
--- The server keeps the chats and runs the turns (`chat/start`,
--- `chat/send`, `chat/list`, `chat/history`); it streams each turn as
--- `chat/didUpdate` deltas, which land in the buffer as they arrive. This
--- module holds no provider logic: it shows what the server sends.
---
--- Layout of a chat buffer: a "## You" section per question, a "## Qwen"
--- section per answer (thinking first, as a folded quote), and at the end
--- an empty "## You" section, the input: what is typed below the last
--- "## You" is the next question.
local util = require('qwen.util')

local M = {}
local H = {}

M.USER = '## You'
M.ASSISTANT = '## Qwen'
M.THINKING = '> **Thinking**'

--- Where a turn's text and thinking stream to (extmarks).
M.ns = vim.api.nvim_create_namespace('qwen-chat')
--- One range extmark per thinking block: the folds.
M.ns_thinking = vim.api.nvim_create_namespace('qwen-chat-thinking')
--- The context waiting for the next question (virtual lines).
M.ns_context = vim.api.nvim_create_namespace('qwen-chat-context')

--- Chat state by buffer number: { buf, id, model, title, turn, usage, status, context }.
H.by_buf = {}
--- The same, by chatId (for chat/didUpdate).
H.by_id = {}
H.count = 0

--- The chat shown in buffer `buf` (nil when it is not a chat buffer).
function M.get(buf) return H.by_buf[buf or vim.api.nvim_get_current_buf()] end

-- Commands -----------------------------------------------------------------

--- `:[range]Qwen chat [list | new] [text]`. With a range, the lines (or
--- the visual selection) go with the next question as context; with text,
--- that text is sent at once.
---@param args string[]
---@param o table the user command's callback argument (range, line1, line2, smods)
function M.command(client, args, o)
  args = vim.deepcopy(args or {})
  if args[1] == 'list' then return M.list(client, o) end
  local new = args[1] == 'new'
  if new then table.remove(args, 1) end
  local context
  local here = M.get()
  if (o.range or 0) > 0 and not here then context = M.selection(o) end
  local chat = (not new) and (here or H.last_chat()) or nil
  if not chat then chat = H.create() end
  H.show(chat, o.smods)
  if context then
    table.insert(chat.context, context)
    H.render_context(chat)
  end
  local text = table.concat(args, ' ')
  if text ~= '' then
    H.set_input(chat, text)
    M.send(client, chat)
  else
    H.cursor_to_input(chat)
  end
  return chat
end

--- `:Qwen chat list`: picks a saved chat (`vim.ui.select`, kind
--- "qwen.chat") and opens it with its history.
function M.list(client, o)
  client:request('chat/list', nil, function(err, res)
    if err then return util.notify_error(err, "couldn't list the chats") end
    util.notify_warnings(res)
    local chats = res.chats or {}
    if #chats == 0 then return util.notify('no saved chat yet: :Qwen chat starts one') end
    util.select(chats, {
      prompt = 'Qwen chat',
      kind = 'qwen.chat',
      format_item = function(c)
        local model = type(c.model) == 'table' and c.model.id or '?'
        return ('%s  · %s · %d turn%s · %s'):format(c.title, model, c.turns or 0, c.turns == 1 and '' or 's', H.when(c.updatedAt))
      end,
    }, function(choice)
      if choice then M.resume(client, choice.chatId, o) end
    end)
  end)
end

--- Opens the saved chat `chat_id` (its buffer when it is open already).
function M.resume(client, chat_id, o, cb)
  local open = H.by_id[chat_id]
  if open and vim.api.nvim_buf_is_valid(open.buf) then
    H.show(open, o and o.smods)
    H.cursor_to_input(open)
    if cb then cb(open) end
    return
  end
  client:request('chat/history', { chatId = chat_id }, function(err, res)
    if err then return util.notify_error(err, "couldn't open the chat") end
    util.notify_warnings(res)
    local chat = H.create({ id = res.chatId, model = res.model, title = res.title })
    H.render_history(chat, res.messages or {})
    H.show(chat, o and o.smods)
    H.cursor_to_input(chat)
    if cb then cb(chat) end
  end)
end

--- Sends what is typed below the last "## You" (and the pending context).
function M.send(client, chat)
  chat = chat or M.get()
  if not chat then return util.notify('not a chat buffer: :Qwen chat opens one', vim.log.levels.WARN) end
  if chat.turn then
    return util.notify('a turn is still running: wait for it, or press <C-c> in the chat to cancel it', vim.log.levels.WARN)
  end
  local header = H.input_row(chat)
  local lines = vim.api.nvim_buf_get_lines(chat.buf, header + 1, -1, false)
  local text = vim.trim(table.concat(lines, '\n'))
  if text == '' and #chat.context == 0 then
    return util.notify('type your question below the last "' .. M.USER .. '" first', vim.log.levels.WARN)
  end
  local context = chat.context
  chat.context = {}
  H.render_context(chat)
  local turn = H.render_question(chat, text, context)
  chat.turn = turn
  chat.status = 'streaming'
  H.redraw_winbar()
  H.ensure_started(client, chat, function(err)
    if err then return H.finish(chat, turn, err, nil) end
    local params = { chatId = chat.id, text = text }
    if #context > 0 then params.context = context end
    turn.ticket = client:request('chat/send', params, function(e, res) H.finish(chat, turn, e, res) end)
    if turn.cancelled then client:cancel(turn.ticket) end
  end)
end

--- Cancels the running turn of the chat (`<C-c>` in the chat buffer): the
--- server stops the provider and answers with what had arrived.
---@return boolean cancelling  false when no turn runs
function M.cancel(client, chat)
  chat = chat or M.get()
  local turn = chat and chat.turn
  if not turn then return false end
  turn.cancelled = true
  chat.status = 'cancelling'
  H.redraw_winbar()
  if turn.ticket then client:cancel(turn.ticket) end
  return true
end

--- A ContextItem for the range of a `:[range]Qwen chat` in the current
--- buffer: the visual selection when the range is it (charwise as
--- selected), else whole lines.
function M.selection(o)
  local buf = vim.api.nvim_get_current_buf()
  local l1, l2 = o.line1, o.line2
  local vs, ve = vim.fn.getpos("'<"), vim.fn.getpos("'>")
  local mode = vim.fn.visualmode()
  local lines, range
  if o.range == 2 and vs[2] == l1 and ve[2] == l2 and (mode == 'v' or mode == '\22') then
    lines = vim.fn.getregion(vs, ve, { type = mode })
    local first = vim.api.nvim_buf_get_lines(buf, l1 - 1, l1, false)[1] or ''
    local sc = H.utf16(first, math.min(vs[3] - 1, #first))
    local last = lines[#lines] or ''
    local ec = (l1 == l2 and mode == 'v') and (sc + H.utf16(last)) or H.utf16(last)
    if mode == '\22' then sc = 0 end
    range = { start = { line = l1 - 1, character = sc }, ['end'] = { line = l2 - 1, character = ec } }
  else
    lines = vim.api.nvim_buf_get_lines(buf, l1 - 1, l2, false)
    range = { start = { line = l1 - 1, character = 0 }, ['end'] = { line = l2 - 1, character = H.utf16(lines[#lines] or '') } }
  end
  local item = { text = table.concat(lines, '\n'), range = range }
  local name = vim.api.nvim_buf_get_name(buf)
  if name ~= '' and vim.bo[buf].buftype == '' then item.uri = vim.uri_from_fname(name) end
  local ft = vim.bo[buf].filetype
  if ft ~= '' then item.languageId = H.LANGUAGE_IDS[ft] or ft end
  return item
end

--- chat/didUpdate: a delta of a running turn, appended where that turn's
--- text (or thinking) ends.
function M.on_update(params)
  local chat = type(params) == 'table' and H.by_id[params.chatId]
  local turn = chat and chat.turn
  if not turn or not vim.api.nvim_buf_is_valid(chat.buf) or type(params.delta) ~= 'string' then return end
  if turn.id == nil then turn.id = params.turnId end
  if turn.id ~= params.turnId then return end
  if params.kind == 'thinking' then
    H.add_thinking(chat, turn, params.delta)
  else
    H.add_text(chat, turn, params.delta)
  end
end

--- The chat's winbar: the model, then the turn's state or its token usage.
function M.winbar()
  local chat = M.get()
  if not chat then return '' end
  local model = chat.model
  if not model then
    local sel = require('qwen.state').selected
    model = sel
  end
  local parts = { 'Qwen chat' }
  if model then table.insert(parts, ('%s (%s)'):format(model.id, model.authType)) end
  local st = chat.status
  if not chat.id then
    table.insert(parts, 'new chat')
  elseif st == 'streaming' then
    table.insert(parts, 'answering…  <C-c> cancels')
  elseif st == 'cancelling' then
    table.insert(parts, 'cancelling…')
  end
  local u = chat.usage
  if u and st ~= 'streaming' and st ~= 'cancelling' then
    local t = ('tokens: %d in, %d out'):format(u.inputTokens or 0, u.outputTokens or 0)
    if u.reasoningTokens then t = t .. (', %d reasoning'):format(u.reasoningTokens) end
    if u.cachedTokens then t = t .. (', %d cached'):format(u.cachedTokens) end
    table.insert(parts, t)
  end
  if st == 'cancelled' or st == 'error' or st == 'length' then table.insert(parts, st == 'length' and 'cut at the token limit' or st) end
  return (('%s'):format(' ' .. table.concat(parts, '  │  ')):gsub('%%', '%%%%'))
end

--- 'foldexpr' of a chat window: each thinking block is a fold.
function M.foldexpr()
  local buf = vim.api.nvim_get_current_buf()
  local row = vim.v.lnum - 1
  for _, r in ipairs(H.thinking_ranges(buf)) do
    if row == r[1] then return '>1' end
    if row > r[1] and row <= r[2] then return '1' end
  end
  return '0'
end

--- 'foldtext' of a chat window.
function M.foldtext()
  local n = vim.v.foldend - vim.v.foldstart
  return ('> ▸ Thinking (%d line%s, zo opens)'):format(n, n == 1 and '' or 's')
end

-- Buffers and windows -------------------------------------------------------

--- The UTF-16 length of `s` (up to byte `byte`): LSP positions count UTF-16 units.
function H.utf16(s, byte)
  local _, n = vim.str_utfindex(s, byte)
  return n
end

--- LSP language ids that differ from Neovim's filetype names.
H.LANGUAGE_IDS = { sh = 'shellscript', bash = 'shellscript', cs = 'csharp', text = 'plaintext', objc = 'objective-c', objcpp = 'objective-cpp' }

--- The chat buffer used last that still exists.
function H.last_chat()
  local best
  for buf, chat in pairs(H.by_buf) do
    if vim.api.nvim_buf_is_valid(buf) and (not best or chat.used > best.used) then best = chat end
  end
  return best
end

--- A new chat buffer (`chat` fields: id, model, title of a saved chat).
function H.create(chat)
  chat = chat or {}
  H.count = H.count + 1
  local buf = vim.api.nvim_create_buf(true, true)
  chat.buf, chat.context, chat.used = buf, {}, H.count
  H.by_buf[buf] = chat
  if chat.id then H.by_id[chat.id] = chat end
  H.name(chat)
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = 'markdown'
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { M.USER, '' })
  local function map(modes, lhs, rhs, desc, opts)
    vim.keymap.set(modes, lhs, rhs, vim.tbl_extend('force', { buffer = buf, desc = 'Qwen chat: ' .. desc }, opts or {}))
  end
  local client = function() return require('qwen').client() end
  map('n', '<CR>', function() M.send(client(), chat) end, 'send the question')
  map('i', '<C-s>', function() M.send(client(), chat) end, 'send the question')
  -- Without a running turn, <C-c> keeps its meaning (leaves Insert mode).
  map({ 'n', 'i' }, '<C-c>', function()
    if not chat.turn then return '<C-c>' end
    -- An expression mapping may not change the buffer: cancel right after.
    vim.schedule(function() M.cancel(client(), chat) end)
    return ''
  end, 'cancel the turn', { expr = true })
  vim.api.nvim_create_autocmd('BufWinEnter', { buffer = buf, callback = function() H.setup_window(vim.api.nvim_get_current_win()) end })
  vim.api.nvim_create_autocmd('BufWipeout', {
    buffer = buf,
    callback = function()
      H.by_buf[buf] = nil
      if chat.id and H.by_id[chat.id] == chat then H.by_id[chat.id] = nil end
    end,
  })
  return chat
end

function H.name(chat)
  local name = chat.id and ('qwen://chat/' .. chat.id) or ('qwen://chat/new-' .. chat.used)
  pcall(vim.api.nvim_buf_set_name, chat.buf, name)
end

--- Window options of a chat window (local to the chat buffer in it).
function H.setup_window(win)
  local function set(name, value) vim.api.nvim_set_option_value(name, value, { win = win, scope = 'local' }) end
  set('winbar', "%{%v:lua.require'qwen.chat'.winbar()%}")
  set('wrap', true)
  set('linebreak', true)
  set('foldmethod', 'expr')
  set('foldexpr', "v:lua.require'qwen.chat'.foldexpr()")
  set('foldtext', "v:lua.require'qwen.chat'.foldtext()")
  set('foldlevel', 0)
  set('foldenable', true)
  set('fillchars', 'fold: ')
  set('number', false)
  set('relativenumber', false)
  set('signcolumn', 'no')
end

--- Shows the chat in a window: its own when it has one, else a split
--- (vertical on a wide screen; `:vertical`, `:tab`, … choose).
function H.show(chat, smods)
  H.count = H.count + 1
  chat.used = H.count
  local win = vim.fn.bufwinid(chat.buf)
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
  else
    local mods = vim.deepcopy(smods or {})
    local has_mods = mods.vertical or mods.horizontal or (mods.tab or -1) >= 0 or (mods.split or '') ~= ''
    if not has_mods then
      mods.split = 'botright'
      mods.vertical = vim.o.columns >= 160
    end
    vim.cmd({ cmd = 'sbuffer', args = { tostring(chat.buf) }, mods = mods })
    win = vim.api.nvim_get_current_win()
  end
  H.setup_window(win)
  return win
end

function H.redraw_winbar() pcall(vim.cmd.redrawstatus, { bang = true }) end

--- The row (0-based) of the input's "## You" header: the last one.
function H.input_row(chat)
  local lines = vim.api.nvim_buf_get_lines(chat.buf, 0, -1, false)
  for i = #lines, 1, -1 do
    if lines[i] == M.USER then return i - 1 end
  end
  -- The header was deleted: a new input at the end.
  vim.api.nvim_buf_set_lines(chat.buf, -1, -1, false, { '', M.USER, '' })
  return #lines + 1
end

function H.set_input(chat, text)
  local header = H.input_row(chat)
  vim.api.nvim_buf_set_lines(chat.buf, header + 1, -1, false, vim.split(text, '\n', { plain = true }))
end

function H.cursor_to_input(chat)
  local win = vim.fn.bufwinid(chat.buf)
  if win == -1 then return end
  local n = vim.api.nvim_buf_line_count(chat.buf)
  local last = vim.api.nvim_buf_get_lines(chat.buf, n - 1, n, false)[1] or ''
  vim.api.nvim_win_set_cursor(win, { n, #last })
end

--- "lua/app.lua, lines 3-5 (lua)".
function H.describe(item)
  local where = 'selected text'
  if item.uri then where = vim.fn.fnamemodify(vim.uri_to_fname(item.uri), ':~:.') end
  if item.range then
    local a, b = item.range.start.line + 1, item.range['end'].line + 1
    where = where .. (a == b and (', line ' .. a) or (', lines ' .. a .. '-' .. b))
  end
  if item.languageId then where = where .. ' (' .. item.languageId .. ')' end
  return where
end

--- Shows the context waiting for the next question below the input header.
function H.render_context(chat)
  vim.api.nvim_buf_clear_namespace(chat.buf, M.ns_context, 0, -1)
  if #chat.context == 0 then return end
  local virt = {}
  for _, item in ipairs(chat.context) do
    table.insert(virt, { { '  + context: ' .. H.describe(item) .. ' (sent with the next question)', 'Comment' } })
  end
  vim.api.nvim_buf_set_extmark(chat.buf, M.ns_context, H.input_row(chat), 0, { virt_lines = virt })
end

-- Turns -------------------------------------------------------------------

--- Puts the question in the transcript, an empty answer after it and a new
--- input at the end; returns the turn, which knows where its answer goes.
function H.render_question(chat, text, context)
  local buf = chat.buf
  local header = H.input_row(chat)
  local lines = {}
  if text ~= '' then lines = vim.split(text, '\n', { plain = true }) end
  for _, item in ipairs(context) do table.insert(lines, '*Context: ' .. H.describe(item) .. '*') end
  vim.list_extend(lines, { '', M.ASSISTANT, '', '', M.USER, '' })
  -- Where the cursor was in the input: it moves to the new one.
  local follow = {}
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    if vim.api.nvim_win_get_cursor(win)[1] - 1 >= header then table.insert(follow, win) end
  end
  vim.api.nvim_buf_set_lines(buf, header + 1, -1, false, lines)
  local answer = header + 1 + #lines - 5
  local turn = {
    header = vim.api.nvim_buf_set_extmark(buf, M.ns, answer, 0, { right_gravity = false }),
    text = vim.api.nvim_buf_set_extmark(buf, M.ns, answer + 1, 0, { right_gravity = true }),
    got_text = false,
    got_thinking = false,
  }
  local n = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(follow) do pcall(vim.api.nvim_win_set_cursor, win, { n, 0 }) end
  return turn
end

function H.mark(buf, id)
  local p = vim.api.nvim_buf_get_extmark_by_id(buf, M.ns, id, {})
  return p[1], p[2]
end

--- Inserts the lines `parts` at (row, col): the marks with right gravity
--- there move to their end.
function H.insert(buf, row, col, parts)
  vim.api.nvim_buf_set_text(buf, row, col, row, col, parts)
end

function H.add_text(chat, turn, delta)
  if delta == '' then return end
  turn.got_text = true
  local row, col = H.mark(chat.buf, turn.text)
  if not row then return end
  H.insert(chat.buf, row, col, vim.split(delta, '\n', { plain = true }))
end

function H.add_thinking(chat, turn, delta)
  if delta == '' then return end
  local buf = chat.buf
  if not turn.thinking then
    local header = H.mark(buf, turn.header)
    if not header then return end
    vim.api.nvim_buf_set_lines(buf, header + 1, header + 1, false, { M.THINKING, '> ', '' })
    turn.thinking = vim.api.nvim_buf_set_extmark(buf, M.ns_thinking, header + 1, 0, {
      end_row = header + 2,
      end_col = 2,
      right_gravity = false,
      end_right_gravity = true,
    })
  end
  turn.got_thinking = true
  local m = vim.api.nvim_buf_get_extmark_by_id(buf, M.ns_thinking, turn.thinking, { details = true })
  if not m[1] then return end
  local parts = vim.split(delta, '\n', { plain = true })
  for i = 2, #parts do parts[i] = '> ' .. parts[i] end
  H.insert(buf, m[3].end_row, m[3].end_col, parts)
end

--- Rows {first, last} (0-based) of the buffer's thinking blocks, cached
--- per change.
function H.thinking_ranges(buf)
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  H.ranges_cache = H.ranges_cache or {}
  local c = H.ranges_cache[buf]
  if c and c.tick == tick then return c.ranges end
  local ranges = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, M.ns_thinking, 0, -1, { details = true })) do
    table.insert(ranges, { m[2], m[4].end_row or m[2] })
  end
  H.ranges_cache[buf] = { tick = tick, ranges = ranges }
  return ranges
end

--- The line after an answer that says how it ended (nil: it just ended).
function H.outcome_line(stop, err)
  if stop == 'cancelled' then return '*(cancelled)*' end
  if stop == 'length' then return '*(stopped: the answer reached its token limit)*' end
  if stop == 'error' or err then
    local e = err or {}
    local status = e.status and (' [HTTP ' .. tostring(e.status) .. ']') or ''
    return '**Error:** ' .. (e.message or e.code or 'the turn failed') .. status
  end
end

--- A turn ended: its answer (`res`) or the request's error (`err`).
function H.finish(chat, turn, err, res)
  if chat.turn == turn then chat.turn = nil end
  local buf = chat.buf
  if not vim.api.nvim_buf_is_valid(buf) then return end
  local line
  if err and err.code == require('qwen.client').CANCELLED then
    -- Cancelled before the turn started: nothing was asked, nothing kept.
    line = H.outcome_line('cancelled')
    chat.status = 'cancelled'
  elseif err then
    local text = H.request_error_text(err)
    line = '**Error:** ' .. text
    chat.status = 'error'
    util.notify('the chat turn failed: ' .. text, vim.log.levels.ERROR)
  else
    -- What no delta brought (a provider that does not stream) still shows.
    if not turn.got_thinking and type(res.thinking) == 'string' and res.thinking ~= '' then H.add_thinking(chat, turn, res.thinking) end
    if not turn.got_text and type(res.text) == 'string' and res.text ~= '' then H.add_text(chat, turn, res.text) end
    line = H.outcome_line(res.stopReason, res.error)
    chat.status = res.stopReason
    if res.usage then chat.usage = res.usage end
    util.notify_warnings(res)
    if res.stopReason == 'error' and res.error then
      util.notify(('the model failed: %s'):format(res.error.message or res.error.code or '?'), vim.log.levels.ERROR)
    end
  end
  local row = H.mark(buf, turn.text)
  if row and line then
    local empty = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] == ''
    if empty and not turn.got_text then
      -- No text at all: the outcome takes its place.
      vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { line })
    else
      vim.api.nvim_buf_set_lines(buf, row + 1, row + 1, false, { '', line })
    end
  end
  pcall(vim.api.nvim_buf_del_extmark, buf, M.ns, turn.text)
  pcall(vim.api.nvim_buf_del_extmark, buf, M.ns, turn.header)
  H.redraw_winbar()
  vim.api.nvim_exec_autocmds('User', {
    pattern = 'QwenChatTurn',
    modeline = false,
    data = { chatId = chat.id, buf = buf, result = res, error = err },
  })
end

--- A failed request in words, on one line; the server's hint names
--- protocol methods, the plugin names its commands.
function H.request_error_text(err)
  if type(err) == 'table' and type(err.message) == 'string' and err.message:find('^no model is selected') then
    return 'no model is selected: pick one with :Qwen model, then send again'
  end
  return (util.error_text(err):gsub('\n', ' · '))
end

--- Starts the chat on the server at its first question (chat/start keeps a
--- file: an opened and abandoned buffer leaves none).
function H.ensure_started(client, chat, cb)
  if chat.id then return cb(nil) end
  client:request('chat/start', vim.empty_dict(), function(err, res)
    if err then return cb(err) end
    util.notify_warnings(res)
    chat.id, chat.model = res.chatId, res.model
    H.by_id[chat.id] = chat
    if vim.api.nvim_buf_is_valid(chat.buf) then H.name(chat) end
    cb(nil)
  end)
end

--- A saved chat's messages, as the buffer shows turns.
function H.render_history(chat, messages)
  local buf = chat.buf
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  local first = true
  for _, m in ipairs(messages) do
    local row = first and 0 or vim.api.nvim_buf_line_count(buf)
    local lines = {}
    if m.role == 'user' then
      table.insert(lines, M.USER)
      if m.text ~= '' then vim.list_extend(lines, vim.split(m.text, '\n', { plain = true })) end
      for _, item in ipairs(m.context or {}) do table.insert(lines, '*Context: ' .. H.describe(item) .. '*') end
      table.insert(lines, '')
      vim.api.nvim_buf_set_lines(buf, row, first and -1 or row, false, lines)
    else
      table.insert(lines, M.ASSISTANT)
      local think_at
      if type(m.thinking) == 'string' and m.thinking ~= '' then
        think_at = row + 1
        table.insert(lines, M.THINKING)
        for _, l in ipairs(vim.split(m.thinking, '\n', { plain = true })) do table.insert(lines, '> ' .. l) end
        table.insert(lines, '')
      end
      vim.list_extend(lines, vim.split(m.text or '', '\n', { plain = true }))
      local line = H.outcome_line(m.stopReason, m.error)
      if line then vim.list_extend(lines, { '', line }) end
      table.insert(lines, '')
      vim.api.nvim_buf_set_lines(buf, row, first and -1 or row, false, lines)
      if think_at then
        local last = think_at + #vim.split(m.thinking, '\n', { plain = true })
        local text = vim.api.nvim_buf_get_lines(buf, last, last + 1, false)[1] or ''
        vim.api.nvim_buf_set_extmark(buf, M.ns_thinking, think_at, 0, { end_row = last, end_col = #text, right_gravity = false, end_right_gravity = true })
      end
      if m.usage then chat.usage = m.usage end
      chat.status = m.stopReason
    end
    first = false
  end
  vim.api.nvim_buf_set_lines(buf, first and 0 or -1, -1, false, { M.USER, '' })
end

--- "2026-12-02 14:05" in local time, from an ISO-8601 UTC time.
function H.when(iso)
  local y, mo, d, h, mi, se = tostring(iso):match('^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)')
  if not y then return tostring(iso or '') end
  local t = os.time({ year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h), min = tonumber(mi), sec = tonumber(se), isdst = false })
  local now = os.time()
  return os.date('%Y-%m-%d %H:%M', t + (now - os.time(os.date('!*t', now))))
end

return M
