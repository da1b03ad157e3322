--- A tiny self-contained test runner for headless Neovim.
---
--- A test file registers cases with `T.test(name, fn)` and uses the helpers
--- below; `main()` runs the files named in $NVIM_QWEN_TEST_FILES (else every
--- tests/test_*.lua), prints TAP-like lines and, when
--- $NVIM_QWEN_TEST_RESULTS is set, appends one JSON line per case
--- ({name, status, duration, message}) to that file. Neovim exits 0 when
--- every case passed (or was skipped), 1 otherwise.
local T = {}

T.dir = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
T.cases = {}
--- Every vim.notify call: {msg=, level=}.
T.notifications = {}
--- Every User autocmd the plugin fired: {pattern=, data=}.
T.events = {}

local SKIP = {}

function T.test(name, fn) table.insert(T.cases, { name = name, fn = fn, file = T.current_file }) end

--- Ends the running case as skipped.
function T.skip(reason) error(setmetatable({ reason = reason }, SKIP), 0) end

local function fmt(v) return type(v) == 'string' and ('%q'):format(v) or vim.inspect(v) end

function T.eq(a, b, msg)
  if not vim.deep_equal(a, b) then error(('%sexpected %s, got %s'):format(msg and (msg .. ': ') or '', fmt(b), fmt(a)), 2) end
end

function T.ok(v, msg)
  if not v then error(msg or 'expected a true value', 2) end
  return v
end

function T.contains(hay, needle, msg)
  if type(hay) ~= 'string' or not hay:find(needle, 1, true) then
    error(('%sexpected %s in %s'):format(msg and (msg .. ': ') or '', fmt(needle), fmt(hay)), 2)
  end
end

function T.not_contains(hay, needle, msg)
  if type(hay) == 'string' and hay:find(needle, 1, true) then
    error(('%s%s must not appear'):format(msg and (msg .. ': ') or '', fmt(needle)), 2)
  end
end

--- Waits (processing events) until `cond()` is truthy; fails after `ms`,
--- or at once when `cond` raises an error.
function T.wait(cond, what, ms)
  local last, raised
  local ok = vim.wait(ms or 20000, function()
    local good, v = pcall(cond)
    if not good then
      raised = v
      return true
    end
    last = v
    return v
  end, 20)
  if raised then error(raised, 2) end
  if not ok then error(('timed out waiting for %s (last: %s)'):format(what or 'a condition', fmt(last)), 2) end
  return last
end

--- The notifications since index `since` as one string.
function T.notes(since)
  local out = {}
  for i = (since or 0) + 1, #T.notifications do table.insert(out, T.notifications[i].msg) end
  return table.concat(out, '\n')
end

--- Waits for a notification whose text contains `text`; returns it.
function T.wait_note(text, since, ms)
  return T.wait(function()
    for i = (since or 0) + 1, #T.notifications do
      if T.notifications[i].msg:find(text, 1, true) then return T.notifications[i] end
    end
  end, 'a notification with ' .. fmt(text) .. ' (got: ' .. T.notes(since):sub(-400) .. ')', ms)
end

--- Waits for a User event `pattern` fired after index `since`; returns its data.
function T.wait_event(pattern, pred, since, ms)
  return T.wait(function()
    for i = (since or 0) + 1, #T.events do
      local e = T.events[i]
      if e.pattern == pattern and (not pred or pred(e.data)) then return e.data or true end
    end
  end, 'User ' .. pattern, ms)
end

--- `:messages` as a string.
function T.messages() return vim.api.nvim_exec2('messages', { output = true }).output end

--- Makes the next `vim.ui.select` choose the item whose formatted text
--- contains `want` (or for which `want(item, text)` is true). Returns a table
--- that receives `items` (formatted texts) and `opts` when it is called.
function T.pick(want)
  local seen = {}
  table.insert(T.picks, { want = want, seen = seen })
  return seen
end
T.picks = {}

local real_select = vim.ui.select
vim.ui.select = function(items, opts, on_choice)
  local p = table.remove(T.picks, 1)
  if not p then
    -- No pick queued: a test would block on inputlist(); fail loudly instead.
    vim.schedule(function() on_choice(nil, nil) end)
    table.insert(T.notifications, { msg = 'TEST: unexpected vim.ui.select ' .. tostring(opts and opts.prompt), level = vim.log.levels.ERROR })
    return
  end
  local texts = {}
  for i, it in ipairs(items) do texts[i] = opts and opts.format_item and opts.format_item(it) or tostring(it) end
  p.seen.items, p.seen.texts, p.seen.opts = items, texts, opts
  local choice, idx
  for i, it in ipairs(items) do
    local hit
    if type(p.want) == 'function' then hit = p.want(it, texts[i]) else hit = texts[i]:find(p.want, 1, true) ~= nil end
    if hit then
      choice, idx = it, i
      break
    end
  end
  p.seen.choice = choice
  vim.schedule(function() on_choice(choice, idx) end)
end
T.real_select = real_select

--- Queues `text` and <CR> as typeahead for the next inputsecret()/input().
function T.type_secret(text) vim.api.nvim_feedkeys(text .. '\r', 'n', false) end

--- Reads a whole file (nil when missing).
function T.read(path)
  local f = io.open(path, 'r')
  if not f then return nil end
  local s = f:read('*a')
  f:close()
  return s
end

function T.write(path, text)
  vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
  local f = assert(io.open(path, 'w'))
  f:write(text)
  f:close()
end

--- Permission bits of a file (e.g. 384 for 0600).
function T.mode(path)
  local st = vim.uv.fs_stat(path)
  return st and (st.mode % 512) or nil
end

--- GET a URL with node (fetch), from a subprocess; returns status, body.
function T.http_get(url)
  local r = vim.system({ 'node', '-e', 'fetch(process.argv[1]).then(async r => { process.stdout.write(r.status + "\\n" + await r.text()) }, e => { console.error(String(e)); process.exit(1) })', url }, { text = true }):wait(20000)
  if r.code ~= 0 then error('GET ' .. url .. ' failed: ' .. tostring(r.stderr), 2) end
  local status, body = r.stdout:match('^(%d+)\n(.*)$')
  return tonumber(status), body
end

--- The running sandbox (see test/clients/neovim.test.ts).
T.home = vim.env.HOME
T.project = vim.fn.getcwd()
T.json_env = function(name)
  local v = vim.env[name]
  if not v or v == '' then return nil end
  return vim.json.decode(v)
end

local function record(case, status, ms, message)
  local line = ('%s %s (%d ms)%s'):format(status == 'passed' and 'ok' or (status == 'skipped' and 'skip' or 'not ok'), case.name, ms, message ~= '' and ('\n    ' .. message:gsub('\n', '\n    ')) or '')
  io.stdout:write(line .. '\n')
  local out = vim.env.NVIM_QWEN_TEST_RESULTS
  if out and out ~= '' then
    local f = io.open(out, 'a')
    if f then
      f:write(vim.json.encode({ file = case.file, name = case.name, status = status, duration = ms, message = message }) .. '\n')
      f:close()
    end
  end
end

--- Runs the test files and quits Neovim with the outcome.
function T.main()
  -- Record notifications (and still show them, so :messages holds them).
  local real_notify = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(T.notifications, { msg = tostring(msg), level = level or vim.log.levels.INFO })
    return real_notify(msg, level, opts)
  end
  vim.api.nvim_create_autocmd('User', {
    pattern = 'Qwen*',
    callback = function(ev) table.insert(T.events, { pattern = ev.match, data = ev.data }) end,
  })
  local files = {}
  local env = vim.env.NVIM_QWEN_TEST_FILES
  if env and env ~= '' then
    for f in env:gmatch('[^,]+') do table.insert(files, f:match('^/') and f or (T.dir .. '/' .. f)) end
  else
    files = vim.fn.glob(T.dir .. '/test_*.lua', false, true)
    table.sort(files)
  end
  local failed = 0
  for _, file in ipairs(files) do
    T.current_file = vim.fn.fnamemodify(file, ':t:r')
    local ok, err = pcall(dofile, file)
    if not ok then
      failed = failed + 1
      record({ name = T.current_file .. ' (loading)', file = T.current_file }, 'failed', 0, tostring(err))
    end
  end
  for _, case in ipairs(T.cases) do
    local t0 = vim.uv.hrtime()
    local ok, err = xpcall(case.fn, function(e)
      if getmetatable(e) == SKIP then return e end
      return debug.traceback(tostring(e), 2)
    end)
    local ms = math.floor((vim.uv.hrtime() - t0) / 1e6)
    if ok then
      record(case, 'passed', ms, '')
    elseif getmetatable(err) == SKIP then
      record(case, 'skipped', ms, err.reason or '')
    else
      failed = failed + 1
      record(case, 'failed', ms, tostring(err) .. '\n-- notifications:\n' .. T.notes():sub(-1500))
    end
    -- Leave no float or picker behind for the next case.
    T.picks = {}
    pcall(function() require('qwen.login').cancel() end)
    vim.cmd('silent! only')
  end
  -- Stop the server politely before quitting.
  pcall(function()
    local c = require('qwen').client()
    if c.rpc then c:stop(2000) end
  end)
  vim.cmd(failed == 0 and 'qall!' or 'cquit! 1')
end

return T
