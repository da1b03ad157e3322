-- :Qwen chat against the real server and the loopback streaming peer
-- (test/peers/streaming-provider.ts, started by test/clients/neovim.test.ts,
-- which picks its answer from a word in the question: [slow], [hang],
-- [think], [fail]): a reply streams into the buffer while typing goes on, thinking
-- is folded, a selection goes as context, <C-c> cancels, a saved chat
-- resumes; and a screen of the chat window.
local T = require('runner')
local Screen = require('screen')
local qwen = require('qwen')

local stream = T.json_env('NVIM_QWEN_TEST_STREAM') -- {url, origin, key, control}

T.write(T.home .. '/.qwen/settings.json', vim.json.encode({
  model = { name = 'chat-model' },
  security = { auth = { selectedType = 'openai' } },
  modelProviders = {
    openai = {
      { id = 'chat-model', name = 'Chat model', baseUrl = stream and stream.url or 'http://127.0.0.1:9/v1', envKey = 'NVIM_CHAT_KEY', generationConfig = { maxRetries = 0 } },
    },
  },
}))
T.write(T.home .. '/.qwen/.env', 'NVIM_CHAT_KEY=' .. (stream and stream.key or 'sk-none') .. '\n')
vim.uv.fs_chmod(T.home .. '/.qwen/.env', 384)

qwen.setup({})

local function need_peer()
  if not stream then error('no streaming peer: NVIM_QWEN_TEST_STREAM is not set (run through test/clients/neovim.test.ts)') end
end

--- What the peer received so far.
local function requests()
  local status, body = T.http_get(stream.control .. '/requests')
  T.eq(status, 200)
  return vim.json.decode(body)
end

--- The content of the last message of the peer's last request.
local function last_question()
  local list = requests()
  local msgs = list[#list].body.messages
  return msgs[#msgs].content, list
end

local function text_of(buf) return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') end

local function winbar(win)
  win = win or vim.api.nvim_get_current_win()
  return vim.api.nvim_eval_statusline(vim.wo[win].winbar, { winid = win, use_winbar = true }).str
end

--- Waits for the end of a turn (the QwenChatTurn event after `since`).
local function turn_done(since)
  return T.wait_event('QwenChatTurn', nil, since, 30000)
end

--- Wipes every chat buffer (a resumed chat is then read from the server).
local function wipe_chats()
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b):find('qwen://chat/', 1, true) then vim.cmd('bwipeout! ' .. b) end
  end
end

T.test(':Qwen chat opens a markdown buffer in a split; the reply streams in while typing goes on; the winbar has the model and the usage', function()
  need_peer()
  local before = #vim.api.nvim_tabpage_list_wins(0)
  vim.cmd('Qwen chat')
  local buf, win = vim.api.nvim_get_current_buf(), vim.api.nvim_get_current_win()
  T.eq(#vim.api.nvim_tabpage_list_wins(0), before + 1, 'a split')
  T.eq(vim.bo[buf].filetype, 'markdown')
  T.eq(vim.api.nvim_buf_get_lines(buf, 0, -1, false), { '## You', '' })
  T.wait(function() return winbar(win):find('chat-model (openai)', 1, true) end, 'the model in the winbar: ' .. winbar(win))
  T.contains(winbar(win), 'new chat')

  -- Type the question as a person does, then <CR> in Normal mode.
  vim.api.nvim_feedkeys('GA[slow] Tell me a story\27', 'nx', false)
  local since = #T.events
  vim.api.nvim_feedkeys(vim.keycode('<CR>'), 'mx', false)
  -- Part of the answer is there while the rest is still coming.
  T.wait(function() return text_of(buf):find('piece2 ', 1, true) end, 'the first pieces')
  local partial = text_of(buf)
  T.not_contains(partial, 'piece10', 'the end has not come yet')
  T.ok(require('qwen.chat').get(buf).turn, 'the turn still runs')
  T.contains(winbar(win), 'answering')
  -- Typing the next question meanwhile: Neovim is not blocked, and the
  -- stream does not land in what is typed.
  vim.api.nvim_feedkeys('GAand then?\27', 'nx', false)
  T.ok(require('qwen.chat').get(buf).turn, 'typed while the turn ran')
  local res = turn_done(since).result
  T.eq(res.stopReason, 'end')
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  T.eq(lines[1], '## You')
  T.eq(lines[2], '[slow] Tell me a story')
  T.eq(lines[4], '## Qwen')
  T.eq(lines[5], 'piece1 piece2 piece3 piece4 piece5 piece6 piece7 piece8 piece9 piece10 ')
  T.eq(lines[#lines - 1], '## You', 'a new input at the end')
  T.eq(lines[#lines], 'and then?', 'what was typed meanwhile stays in the input')
  T.eq(res.text, lines[5])
  T.contains(winbar(win), 'chat-model (openai)')
  T.contains(winbar(win), 'tokens: 20 in, 10 out')
  T.not_contains(winbar(win), 'new chat')
  T.contains(last_question(), 'Tell me a story')
  T.contains(vim.api.nvim_buf_get_name(buf), 'qwen://chat/' .. require('qwen.chat').get(buf).id)
end)

T.test('a second question in the same buffer continues the chat (the peer gets the history)', function()
  need_peer()
  local buf = vim.api.nvim_get_current_buf()
  T.ok(require('qwen.chat').get(buf), 'still in the chat buffer')
  local since = #T.events
  vim.api.nvim_feedkeys(vim.keycode('<CR>'), 'mx', false)
  T.eq(turn_done(since).result.text, 'Hello from the peer.')
  local q, list = last_question()
  T.eq(q, 'and then?')
  T.eq(#list[#list].body.messages, 3, 'question, answer, question')
  T.contains(text_of(buf), '## You\nand then?\n\n## Qwen\nHello from the peer.\n')
end)

T.test('a thinking model: the thinking streams into a closed fold before the answer', function()
  need_peer()
  local since = #T.events
  vim.cmd('Qwen chat new [think] What is 6*7?')
  local buf, win = vim.api.nvim_get_current_buf(), vim.api.nvim_get_current_win()
  T.eq(turn_done(since).result.thinking, 'Six times seven.\nThat is 42.')
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local at
  for i, l in ipairs(lines) do
    if l == '> **Thinking**' then at = i end
  end
  T.ok(at, 'a thinking block in ' .. table.concat(lines, '\n'))
  T.eq(lines[at + 1], '> Six times seven.')
  T.eq(lines[at + 2], '> That is 42.')
  T.eq(lines[at + 4], 'The answer is 42.')
  vim.api.nvim_win_call(win, function()
    T.eq(vim.fn.foldclosed(at), at, 'the thinking is folded')
    T.eq(vim.fn.foldclosedend(at), at + 2, 'the whole thinking, nothing more')
    T.eq(vim.fn.foldclosed(at + 4), -1, 'the answer is not folded')
    T.contains(vim.fn.foldtextresult(at), 'Thinking (2 lines')
  end)
  T.contains(winbar(win), 'tokens: 9 in, 7 out, 5 reasoning')
end)

T.test(":'<,'>Qwen chat sends the selected lines as context (uri, language, range); the peer gets them with the question", function()
  need_peer()
  -- Python: Neovim 0.10's Lua ftplugin needs a Tree-sitter parser the test install lacks.
  T.write(T.project .. '/src/demo.py', 'import sys\ndef add(a, b):\n    return a + b\n\nprint(add(1, 2))\n')
  vim.cmd('silent! only')
  vim.cmd('edit src/demo.py')
  vim.cmd('normal! 2GVj\27')
  local since = #T.events
  vim.cmd("'<,'>Qwen chat new What does this do?")
  local buf = vim.api.nvim_get_current_buf()
  T.eq(turn_done(since).result.stopReason, 'end')
  local q = last_question()
  T.contains(q, 'File: src/demo.py (python) lines 2-3:\n```python\ndef add(a, b):\n    return a + b\n```\n\nWhat does this do?')
  T.contains(text_of(buf), '## You\nWhat does this do?\n*Context: src/demo.py, lines 2-3 (python)*\n')
  -- The server keeps the item as the client sent it.
  local chat = require('qwen.chat').get(buf)
  local err, h = qwen.client():request_sync('chat/history', { chatId = chat.id }, 10000)
  T.ok(not err, err and err.message)
  local item = h.messages[1].context[1]
  T.eq(item.uri, vim.uri_from_bufnr(vim.fn.bufnr('src/demo.py')))
  T.ok(vim.endswith(item.uri, '/work/project/src/demo.py'), item.uri)
  T.eq(item.languageId, 'python')
  T.eq(item.range, { start = { line = 1, character = 0 }, ['end'] = { line = 2, character = 16 } })
  T.eq(item.text, 'def add(a, b):\n    return a + b')
end)

T.test('a charwise selection waits in the chat (shown) and goes with the question typed next', function()
  need_peer()
  vim.cmd('silent! only')
  vim.cmd('edit src/demo.py')
  -- "add" on line 2.
  vim.cmd('normal! 2G0wve\27')
  vim.cmd("'<,'>Qwen chat new")
  local buf = vim.api.nvim_get_current_buf()
  local marks = vim.api.nvim_buf_get_extmarks(buf, require('qwen.chat').ns_context, 0, -1, { details = true })
  T.eq(#marks, 1, 'the waiting context is shown')
  T.contains(vim.inspect(marks[1][4].virt_lines), 'context: src/demo.py, line 2 (python)')
  local since = #T.events
  vim.api.nvim_feedkeys('GAName it\27', 'nx', false)
  vim.api.nvim_feedkeys(vim.keycode('<CR>'), 'mx', false)
  turn_done(since)
  T.contains(last_question(), 'File: src/demo.py (python) line 2:\n```python\nadd\n```\n\nName it')
  local chat = require('qwen.chat').get(buf)
  local _, h = qwen.client():request_sync('chat/history', { chatId = chat.id }, 10000)
  T.eq(h.messages[1].context[1].range, { start = { line = 1, character = 4 }, ['end'] = { line = 1, character = 7 } }, 'the characters selected')
  T.eq(#vim.api.nvim_buf_get_extmarks(buf, require('qwen.chat').ns_context, 0, -1, {}), 0, 'sent: no longer waiting')
end)

T.test('<C-c> in the chat buffer cancels the turn: the partial text stays, the buffer says cancelled, the provider connection closes', function()
  need_peer()
  vim.cmd('silent! only')
  local since = #T.events
  vim.cmd('Qwen chat new [hang] Go on forever')
  local buf, win = vim.api.nvim_get_current_buf(), vim.api.nvim_get_current_win()
  T.wait(function() return text_of(buf):find('partial answer ', 1, true) end, 'the partial answer')
  T.contains(winbar(win), 'answering')
  local t0 = vim.uv.hrtime()
  vim.api.nvim_feedkeys(vim.keycode('<C-c>'), 'mx', false)
  local res = turn_done(since).result
  T.ok((vim.uv.hrtime() - t0) / 1e6 < 3000, 'answered soon after <C-c>')
  T.eq(res.stopReason, 'cancelled')
  T.eq(res.text, 'partial answer ')
  local text = text_of(buf)
  T.contains(text, '## Qwen\npartial answer \n\n*(cancelled)*\n')
  T.not_contains(text, 'never sent')
  T.contains(winbar(win), 'cancelled')
  T.wait(function()
    local list = requests()
    return list[#list].closed
  end, "the peer's connection closed", 5000)
  -- With no turn running, <C-c> leaves Insert mode as usual.
  vim.api.nvim_feedkeys('GAtyped' .. vim.keycode('<C-c>') .. 'Ax', 'nx', false)
  T.eq(vim.api.nvim_buf_get_lines(buf, -2, -1, false)[1], 'typedx')
end)

T.test('a turn cancelled before it started (right after sending) ends too, and says cancelled', function()
  need_peer()
  vim.cmd('silent! only')
  local since = #T.events
  local chat = require('qwen.chat').command(qwen.client(), { 'new', '[hang]', 'Never mind' }, {})
  -- Before chat/start is answered: the chat/send goes out cancelled.
  T.ok(require('qwen.chat').cancel(qwen.client(), chat), 'a turn to cancel')
  local d = turn_done(since)
  T.ok(d.result == nil or d.result.stopReason == 'cancelled', vim.inspect(d))
  T.contains(text_of(chat.buf), '## Qwen\n*(cancelled)*\n')
  T.eq(chat.turn, nil, 'no turn runs any more')
  T.contains(winbar(), 'cancelled')
end)

T.test(':Qwen chat list resumes a saved chat from the server (after a restart), with its history and folds', function()
  need_peer()
  vim.cmd('silent! only')
  wipe_chats()
  vim.cmd('Qwen restart')
  T.wait(function() return qwen.client().status == 'running' end, 'the new server')
  local seen = T.pick('[think]')
  vim.cmd('Qwen chat list')
  T.wait(function() return seen.choice end, 'the picker')
  T.eq(seen.opts.kind, 'qwen.chat')
  T.eq(#seen.items, 6, 'every chat: ' .. table.concat(seen.texts, '\n'))
  T.contains(table.concat(seen.texts, '\n'), '[slow] Tell me a story')
  T.contains(table.concat(seen.texts, '\n'), '· chat-model · 2 turns ·')
  local buf
  T.wait(function()
    buf = vim.api.nvim_get_current_buf()
    return require('qwen.chat').get(buf)
  end, 'the chat buffer')
  local chat = require('qwen.chat').get(buf)
  T.eq(chat.id, seen.choice.chatId)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  T.eq(lines, { '## You', '[think] What is 6*7?', '', '## Qwen', '> **Thinking**', '> Six times seven.', '> That is 42.', '', 'The answer is 42.', '', '## You', '' })
  T.eq(vim.fn.foldclosed(5), 5, 'the thinking is folded')
  T.contains(winbar(), 'chat-model (openai)')
  T.contains(winbar(), 'tokens: 9 in, 7 out, 5 reasoning')
  local since = #T.events
  vim.cmd('Qwen chat And times two?')
  turn_done(since)
  local _, list = last_question()
  local msgs = list[#list].body.messages
  T.eq(#msgs, 3, 'the resumed chat carries its history')
  T.eq(msgs[2].content, 'The answer is 42.')
end)

T.test('a provider error in the middle of the stream: the text so far stays, then the error, in the buffer and a message', function()
  need_peer()
  vim.cmd('silent! only')
  local since, notes = #T.events, #T.notifications
  vim.cmd('Qwen chat new [fail] Try it')
  local buf, win = vim.api.nvim_get_current_buf(), vim.api.nvim_get_current_win()
  local res = turn_done(since).result
  T.eq(res.stopReason, 'error')
  T.eq(res.text, 'half an ')
  T.contains(text_of(buf), '## Qwen\nhalf an \n\n**Error:** ')
  T.contains(winbar(win), 'error')
  T.wait_note('the model failed: ', notes)
end)

T.test('typing in Insert mode while the answer streams (keys sent as a terminal does): Neovim stays in Insert mode, the keys land in the input, the answer above', function()
  need_peer()
  local s = Screen.new(120, 40)
  local ok, err = pcall(function()
    s:lua("require('qwen').setup({})")
    s:input(':Qwen chat [slow] Tell me more<CR>')
    s:wait_for('piece2')
    s:input('A')
    for _, word in ipairs({ 'typed ', 'while ', 'it ', 'streams' }) do
      s:input(word)
      vim.wait(120)
    end
    T.eq(s:lua('return vim.api.nvim_get_mode().mode'), 'i', 'still in Insert mode')
    T.ok(s:lua("return require('qwen.chat').get().turn ~= nil"), 'the answer was still streaming while typing')
    s:wait_for('piece10')
    s:input('<Esc>')
    local lines = s:lua('return vim.api.nvim_buf_get_lines(0, 0, -1, false)')
    T.eq(lines[5], 'piece1 piece2 piece3 piece4 piece5 piece6 piece7 piece8 piece9 piece10 ', 'the answer, whole')
    T.eq(lines[#lines - 1], '## You')
    T.eq(lines[#lines], 'typed while it streams', 'every key typed, in the input')
  end)
  s:close()
  if not ok then error(err, 0) end
end)

T.test('<C-c> typed as a terminal sends it (nvim_input) cancels the turn, in Normal and in Insert mode', function()
  need_peer()
  local s = Screen.new(120, 40)
  local ok, err = pcall(function()
    s:lua("require('qwen').setup({})")
    s:input(':Qwen chat [hang] Normal mode<CR>')
    s:wait_for('partial answer')
    s:input('<C-c>')
    s:wait_for('*(cancelled)*')
    -- Only the new chat on screen: what is waited for is its own.
    s:input(':only | Qwen chat new [hang] Insert mode<CR>')
    local function current_text() return s:lua("return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n')") end
    T.wait(function() return current_text():find('partial answer', 1, true) end, 'the partial answer of the second chat')
    s:input('Anext question')
    T.wait(function() return current_text():find('next question', 1, true) end, 'the typed text')
    s:input('<C-c>')
    T.wait(function() return current_text():find('*(cancelled)*', 1, true) end, 'the second turn cancelled: ' .. current_text())
    T.eq(s:lua('return vim.api.nvim_get_mode().mode'), 'i', 'cancelling leaves Insert mode alone')
    s:input('<Esc>')
    local lines = s:lua('return vim.api.nvim_buf_get_lines(0, 0, -1, false)')
    T.eq(lines[#lines], 'next question')
  end)
  s:close()
  if not ok then error(err, 0) end
end)

T.test('screen: the chat window, with the thinking folded, the answer and the winbar', function()
  need_peer()
  local s = Screen.new(120, 40)
  local ok, err = pcall(function()
    s:lua([[
      require('qwen').setup({})
      vim.opt.shortmess:append('I')
    ]])
    s:input(':Qwen chat [think] What is 6*7?<CR>')
    local mask = { { 'qwen://chat/[%w_-]+', 'qwen://chat/ID' } }
    s:wait_for('tokens: 9 in, 7 out', nil, mask)
    s:expect('chat', mask)
  end)
  s:close()
  if not ok then error(err, 0) end
end)
