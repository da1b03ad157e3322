--- Screen tests: a child Neovim (`nvim --embed`) that this Neovim drives
--- over msgpack-rpc and attaches to as its UI (`nvim_ui_attach`, linegrid),
--- so that the grid a person would see can be dumped as text and compared
--- with a checked-in screen (tests/screens/<name>.txt). Floats are drawn
--- into the one grid, as in a terminal.
---
--- NVIM_QWEN_UPDATE_SCREENS=1 writes the expected screens instead of
--- comparing (look at the diff before committing them).
local Screen = {}
Screen.__index = Screen

local mpack = vim.mpack
local dir = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')

--- Starts a child Neovim with the test init, `cols` x `rows` cells, in the
--- current folder and environment (plus `env`).
function Screen.new(cols, rows, env)
  local self = setmetatable({ cols = cols, rows = rows, grid = {}, cursor = { 0, 0 }, flushes = 0, notes = {} }, Screen)
  local nvim = vim.env.NVIM_QWEN_TEST_NVIM
  if not nvim or nvim == '' then nvim = vim.v.progpath end
  local full = vim.fn.environ()
  for k, v in pairs(env or {}) do full[k] = v end
  -- The child is not a test runner: it must not append results.
  full.NVIM_QWEN_TEST_RESULTS = nil
  local list = {}
  for k, v in pairs(full) do table.insert(list, k .. '=' .. v) end
  self.stdin, self.stdout = vim.uv.new_pipe(false), vim.uv.new_pipe(false)
  self.handle, self.pid = vim.uv.spawn(nvim, {
    args = { '--embed', '-n', '-i', 'NONE', '-u', dir .. '/init.lua' },
    stdio = { self.stdin, self.stdout, nil },
    env = list,
    cwd = vim.fn.getcwd(),
  }, function() self.exited = true end)
  assert(self.handle, 'could not start ' .. nvim .. ': ' .. tostring(self.pid))
  local ext = {}
  for code = 0, 2 do ext[code] = function(_, data) return { ext = code, data = data } end end
  self.session = mpack.Session({ unpack = mpack.Unpacker({ ext = ext }) })
  self.pack = mpack.Packer()
  self.stdout:read_start(function(err, data)
    if err or not data then return end
    local pos = 1
    while pos <= #data do
      local kind, id_or_cb, method_or_err, args_or_result
      kind, id_or_cb, method_or_err, args_or_result, pos = self.session:receive(data, pos)
      if kind == 'notification' and method_or_err == 'redraw' then
        self:_redraw(args_or_result)
      elseif kind == 'response' then
        id_or_cb(method_or_err ~= mpack.NIL and method_or_err or nil, args_or_result)
      elseif kind == 'request' then
        -- The child asks nothing of a UI that we answer.
        self.stdin:write(self.session:reply(id_or_cb) .. self.pack(mpack.NIL) .. self.pack(mpack.NIL))
      end
    end
  end)
  self:request('nvim_ui_attach', cols, rows, { ext_linegrid = true, rgb = true })
  return self
end

--- A blocking request to the child; raises its error.
function Screen:request(method, ...)
  local done, e, r = false, nil, nil
  local data = self.session:request(function(err, res) done, e, r = true, err, res end)
  self.stdin:write(data .. self.pack(method) .. self.pack({ ... }))
  if not vim.wait(20000, function() return done end, 5) then error('no answer from the child Neovim to ' .. method, 2) end
  if e then error(method .. ': ' .. vim.inspect(e), 2) end
  return r
end

--- Runs Lua in the child (`...` are its arguments).
function Screen:lua(code, ...) return self:request('nvim_exec_lua', code, { ... }) end

--- Types keys into the child, as a person would (works during prompts).
function Screen:input(keys) return self:request('nvim_input', keys) end

function Screen:_redraw(events)
  for _, ev in ipairs(events) do
    local name = ev[1]
    for i = 2, #ev do
      local a = ev[i]
      if name == 'grid_resize' then
        self.cols, self.rows = a[2], a[3]
        self:_clear()
      elseif name == 'grid_clear' then
        self:_clear()
      elseif name == 'grid_line' then
        local row, col, cells = a[2], a[3], a[4]
        local line = self.grid[row + 1]
        if line then
          for _, cell in ipairs(cells) do
            local text, rep = cell[1], cell[3] or 1
            for _ = 1, rep do
              line[col + 1] = text
              col = col + 1
            end
          end
        end
      elseif name == 'grid_scroll' then
        local top, bot, left, right, rows = a[2], a[3], a[4], a[5], a[6]
        local from, to, step = top, bot - 1, 1
        if rows < 0 then from, to, step = bot - 1, top, -1 end
        for r = from, to, step do
          local src = r + rows
          if src >= top and src < bot then
            for c = left, right - 1 do self.grid[r + 1][c + 1] = self.grid[src + 1][c + 1] end
          end
        end
      elseif name == 'grid_cursor_goto' then
        self.cursor = { a[2], a[3] }
      elseif name == 'flush' then
        self.flushes = self.flushes + 1
      end
    end
  end
end

function Screen:_clear()
  self.grid = {}
  for r = 1, self.rows do
    local line = {}
    for c = 1, self.cols do line[c] = ' ' end
    self.grid[r] = line
  end
end

--- The screen as lines of text (trailing blanks removed); `mask` is a list
--- of {lua pattern, replacement} for what changes from run to run, or of
--- functions that get and return the whole list of lines.
function Screen:lines(mask)
  local out = {}
  for r = 1, self.rows do
    local s = table.concat(self.grid[r] or {}):gsub('%s+$', '')
    for _, m in ipairs(mask or {}) do
      if type(m) == 'table' then s = s:gsub(m[1], m[2]) end
    end
    out[r] = s
  end
  for _, m in ipairs(mask or {}) do
    if type(m) == 'function' then out = m(out) end
  end
  return out
end

function Screen:text(mask) return table.concat(self:lines(mask), '\n') end

--- Waits until the screen holds `needle` (plain text); returns the text.
function Screen:wait_for(needle, ms, mask)
  local text
  local ok = vim.wait(ms or 20000, function()
    text = self:text(mask)
    return text:find(needle, 1, true) ~= nil
  end, 10)
  if not ok then error(('the screen never showed %q; it shows:\n%s'):format(needle, text), 2) end
  -- Let the redraw that drew it finish.
  local f = self.flushes
  vim.wait(200, function() return self.flushes > f end, 10)
  return self:text(mask)
end

--- Compares the screen with tests/screens/<name>.txt (or writes it).
function Screen:expect(name, mask)
  local path = dir .. '/screens/' .. name .. '.txt'
  local got = self:text(mask) .. '\n'
  if vim.env.NVIM_QWEN_UPDATE_SCREENS == '1' then
    vim.fn.mkdir(dir .. '/screens', 'p')
    local f = assert(io.open(path, 'w'))
    f:write(got)
    f:close()
    return
  end
  local f = io.open(path, 'r')
  if not f then error('no expected screen ' .. path .. ' (run with NVIM_QWEN_UPDATE_SCREENS=1 to write it); the screen is:\n' .. got, 2) end
  local want = f:read('*a')
  f:close()
  if want ~= got then
    local wl, gl = vim.split(want, '\n'), vim.split(got, '\n')
    local diff = {}
    for i = 1, math.max(#wl, #gl) do
      if wl[i] ~= gl[i] then table.insert(diff, ('line %d\n  want |%s|\n  got  |%s|'):format(i, wl[i] or '', gl[i] or '')) end
    end
    error(('screen %s differs from %s:\n%s\n--- the screen:\n%s'):format(name, path, table.concat(diff, '\n'), got), 2)
  end
end

--- Stops the child (and, through it, its server).
function Screen:close()
  if self.exited then return end
  pcall(function()
    self:lua("pcall(function() local c = require('qwen').client(); if c.rpc then c:stop(2000) end end)")
  end)
  pcall(function()
    local data = self.session:notify()
    self.stdin:write(data .. self.pack('nvim_command') .. self.pack({ 'qall!' }))
  end)
  vim.wait(5000, function() return self.exited end, 20)
  if not self.exited then self.handle:kill('sigkill') end
  pcall(function()
    self.stdout:close()
    self.stdin:close()
  end)
end

return Screen
