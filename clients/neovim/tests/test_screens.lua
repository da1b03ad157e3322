-- Screen tests: what a person sees in a terminal, dumped from a child
-- Neovim's grid (tests/screen.lua) and compared with tests/screens/*.txt,
-- so that a layout change shows as a diff: the statusline, the login menu,
-- the model picker and the Qwen OAuth float.
local T = require('runner')
local Screen = require('screen')

local oidc = T.json_env('NVIM_QWEN_TEST_OIDC')
local COLS, ROWS = 120, 40

-- Eleven models, so that the picker's numbers reach 10, each without its
-- key, with the server's long reason.
local openai = {}
for i = 1, 10 do
  table.insert(openai, { id = ('screen-model-%02d'):format(i), name = 'Screen model ' .. i, baseUrl = 'http://127.0.0.1:9/v1', envKey = 'NVIM_SCREEN_KEY' })
end
T.write(T.home .. '/.qwen/settings.json', vim.json.encode({ security = { auth = { selectedType = 'openai' } }, modelProviders = { openai = openai } }))

local screen

--- The rows of the server's notice (its wording is the server's, not this
--- layout's), each checked to sit inside the float's border, as one row.
local function collapse_notice(lines)
  local out, first, border = {}, nil, nil
  for i, l in ipairs(lines) do
    if not border and l:find('╭', 1, true) then border = vim.fn.strdisplaywidth(l) end
    local in_notice = border and first ~= false and l:find('│  ', 1, true) and not l:find('Code   ', 1, true) and lines[i - 1] and (lines[i - 1]:find('│%s*│%s*$') or first)
    if in_notice and not l:find('│%s*│%s*$') then
      T.eq(vim.fn.strdisplaywidth(l), border, 'a notice row inside the border: ' .. l)
      if not first then
        first = true
        local left = l:match('^(.-│)')
        local inner = border - vim.fn.strdisplaywidth(left) - 1
        local text = "  <the server's notice, wrapped to the float>"
        table.insert(out, left .. text .. string.rep(' ', inner - vim.fn.strdisplaywidth(text)) .. '│')
      end
    else
      if first then first = false end
      table.insert(out, l)
    end
  end
  -- Where the float sits depends on the notice's length: drop the empty
  -- rows of the buffer around it.
  return vim.tbl_filter(function(l) return l ~= '~' end, out)
end

--- What changes from run to run: the user code, the link, the time left,
--- the server's wording of the notice.
local function oauth_mask(login)
  return {
    { '127%.0%.0%.1:%d+', '127.0.0.1:PORT' },
    { vim.pesc(login.userCode), 'CODE-CODE' },
    { 'expires in %d+:%d%d', 'expires in M:SS' },
    collapse_notice,
  }
end

local function start()
  if screen then return screen end
  screen = Screen.new(COLS, ROWS)
  screen:lua([[
    require('qwen').setup({
      env = ...,
      open_browser = false,
      copy_code = false,
    })
    vim.o.laststatus = 2
    vim.opt.shortmess:append('I')
    vim.o.statusline = '%f %= %{v:lua.require("qwen").statusline()} '
  ]], oidc and {
    QWEN_OAUTH_DEVICE_AUTHORIZATION_URL = oidc.deviceAuthorizationUrl,
    QWEN_OAUTH_TOKEN_URL = oidc.tokenUrl,
    QWEN_OAUTH_CLIENT_ID = oidc.clientId,
  } or vim.empty_dict())
  return screen
end

local function no_hit_enter(s)
  local text = s:text()
  T.not_contains(text, 'Press ENTER', 'a hit-enter prompt')
end

T.test('screen: the statusline once the server runs', function()
  local s = start()
  s:wait_for('Qwen: screen-model-01 (signed out)')
  s:expect('statusline')
end)

T.test('screen: the model picker keeps its │ column from item 10 on and cuts long reasons', function()
  local s = start()
  s:input(':Qwen model<CR>')
  local text = s:wait_for('Type number and <Enter>')
  local cols = {}
  for line in text:gmatch('[^\n]+') do
    local n = line:match('^(%s*%d+): ')
    if n then
      cols[#cols + 1] = vim.fn.strdisplaywidth(line:sub(1, line:find('│', 1, true) - 1))
      T.ok(vim.fn.strdisplaywidth(line) <= COLS, 'a picker line wider than the screen: ' .. line)
    end
  end
  T.eq(#cols, 11, 'eleven models listed')
  for i = 2, #cols do T.eq(cols[i], cols[1], 'the │ column of item ' .. i) end
  s:expect('picker')
  s:input('<Esc>')
  s:wait_for('Qwen: screen-model-01')
end)

T.test('screen: the login menu lists the server options in aligned columns', function()
  local s = start()
  s:input(':Qwen login<CR>')
  s:wait_for('Type number and <Enter>')
  s:expect('login-menu')
  s:input('<Esc>')
  s:wait_for('sign-in cancelled')
end)

T.test('screen: the Qwen OAuth float (notice, code, link, keys), and q cancelling it says so', function()
  if not oidc then error('no loopback OAuth server: NVIM_QWEN_TEST_OIDC is not set') end
  local s = start()
  s:input(':Qwen login qwen-oauth<CR>')
  s:wait_for('Waiting for approval')
  local login = s:lua("return require('qwen.login').float().login")
  s:wait_for('expires in', nil, oauth_mask(login))
  s:expect('oauth-float', oauth_mask(login))
  s:input('q')
  local text = s:wait_for('Qwen: Qwen OAuth sign-in cancelled')
  T.not_contains(text, 'Waiting for approval', 'the float is closed')
  no_hit_enter(s)
end)

T.test('screen: a broken settings.json shows in the statusline and on one line, with no hit-enter prompt', function()
  local s = start()
  T.write(T.home .. '/.qwen/settings.json', '{\n  "model": { "name": "screen-model-01" },,\n}\n')
  s:wait_for('[settings error]')
  s:wait_for('Qwen: ~/.qwen/settings.json:')
  no_hit_enter(s)
  s:expect('statusline-settings-error')
  -- The whole message is in the log (:Qwen log).
  local log = s:lua("return require('qwen.log').path()")
  local whole = (T.read(log) or ''):match('[^\n]*settings%.json:2: [^\n]*')
  T.ok(whole and whole:find('(:Qwen config)', 1, true), 'the whole message in the log: ' .. tostring(whole))
end)

T.test('screen: the child Neovim quits and leaves no server', function()
  if screen then screen:close() end
  screen = nil
end)
