-- A preset that only the server's fixture build has (test/clients/neovim.test.ts
-- builds it, test/support/fixture-preset.ts): it is in the login menu with its
-- label and fields, and signing in with it completes, as a person would do it
-- in a terminal (a child Neovim's screen), with no client change.
local T = require('runner')
local Screen = require('screen')

local fx = T.json_env('NVIM_QWEN_TEST_FIXTURE') -- {id, label, envKey, key}
local COLS, ROWS = 120, 40
-- The fixture's endpoints are a loopback provider's, on a port of the run.
local MASK = { { '127%.0%.0%.1:%d+', '127.0.0.1:PORT' } }

local screen

local function start()
  if not fx then error('NVIM_QWEN_TEST_FIXTURE is not set: run this file through test/clients/neovim.test.ts') end
  if screen then return screen end
  screen = Screen.new(COLS, ROWS)
  screen:lua([[
    require('qwen').setup({ open_browser = false, copy_code = false })
    vim.o.laststatus = 2
    vim.opt.shortmess:append('I')
    vim.o.statusline = '%f %= %{v:lua.require("qwen").statusline()} '
  ]])
  screen:wait_for('Qwen: signed out')
  return screen
end

T.test('fixture preset: the login menu lists it with its label and description, and the client names it nowhere', function()
  local s = start()
  s:input(':Qwen login<CR>')
  local text = s:wait_for('Type number and <Enter>')
  T.contains(text, fx.label)
  s:expect('login-menu-fixture')
  -- All of it came from the server.
  for _, f in ipairs(vim.fn.glob(vim.fn.fnamemodify(T.dir, ':h') .. '/lua/**/*.lua', false, true)) do
    local src = table.concat(vim.fn.readfile(f), '\n')
    for _, w in ipairs({ fx.id, fx.label, fx.envKey }) do T.not_contains(src, w, vim.fn.fnamemodify(f, ':t') .. ' names ' .. w) end
  end
end)

T.test('fixture preset: its key prompt carries its label and key rule', function()
  local s = screen or error('the menu test did not run')
  local n = s:text():match('\n(%d+):%s+' .. vim.pesc(fx.label))
  T.ok(n, 'a menu number for ' .. fx.label)
  s:input(n .. '<CR>')
  s:wait_for(fx.label .. ' API key (starts with acme-):')
  s:expect('login-key-fixture')
end)

T.test('fixture preset: its region field offers its regions, labelled, with their endpoints', function()
  local s = screen or error('the key prompt test did not run')
  s:input(fx.key .. '<CR>')
  local text = s:wait_for('Acme South', nil, MASK)
  T.not_contains(text, fx.key, 'the key on the screen')
  s:expect('login-region-fixture', MASK)
end)

T.test('fixture preset: signing in checks the key with its provider and installs its models', function()
  local s = screen or error('the region test did not run')
  local n = s:text(MASK):match('\n(%d+):%s+Acme South')
  T.ok(n, 'a number for Acme South')
  s:input(n .. '<CR>')
  local text = s:wait_for('signed in: ' .. fx.envKey, nil, MASK)
  T.not_contains(text, fx.key, 'the key on the screen')
  T.contains(text, 'accepted by the provider')
  s:expect('login-done-fixture', MASK)
  T.contains(T.read(T.home .. '/.qwen/.env') or '', fx.envKey .. '=' .. fx.key)
  T.contains(T.read(T.home .. '/.qwen/settings.json') or '', '/south/v1', 'the South endpoint installed')
end)

T.test('fixture preset: the child Neovim quits and leaves no server', function()
  if screen then screen:close() end
  screen = nil
end)
