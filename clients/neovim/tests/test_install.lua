-- The install recipes of docs/neovim.md, run as written: Neovim's own
-- packages and a lazy.nvim spec (lazy.nvim emulated by tests/lazy), each in
-- a fresh HOME and a fresh Neovim that reads only that HOME's config, with
-- the package "installed globally" into an npm prefix of its own (offline:
-- `npm root -g` only prints a folder).
local T = require('runner')

local root = vim.fn.fnamemodify(T.dir, ':h:h:h')
local docs = table.concat(vim.fn.readfile(root .. '/docs/neovim.md'), '\n')

--- The first fenced block of `lang` after the text `after` in the docs.
local function block(after, lang)
  local at = docs:find(after, 1, true)
  T.ok(at, 'docs/neovim.md has ' .. after)
  local code = docs:match('```' .. lang .. '\n(.-)\n```', at)
  T.ok(code, 'a ```' .. lang .. ' block after ' .. after)
  return code
end

--- A global npm prefix holding qwen-agent-server: its plugin, and the
--- server bundle under test as its dist/.
local prefix = vim.fn.tempname()
local pkg = prefix .. '/lib/node_modules/qwen-agent-server'
vim.fn.mkdir(pkg, 'p')
-- A copy, as npm installs it (a link would lead back to this repository).
vim.fn.mkdir(pkg .. '/clients', 'p')
vim.fn.system({ 'cp', '-R', root .. '/clients/neovim', pkg .. '/clients/neovim' })
vim.uv.fs_symlink(vim.fn.fnamemodify(vim.env.NVIM_QWEN_TEST_SERVER or (root .. '/dist/server.js'), ':h'), pkg .. '/dist')

--- `argv` run as a person with `home` and no XDG or test variables (through
--- env(1): vim.system's clear_env drops `env` in Neovim 0.10).
local function as_person(home, argv)
  local cmd = { 'env' }
  for k in pairs(vim.fn.environ()) do
    if k:match('^XDG_') or k:match('^NVIM_QWEN_TEST_') or k == 'NVIM' or k == 'VIMRUNTIME' then vim.list_extend(cmd, { '-u', k }) end
  end
  vim.list_extend(cmd, { 'HOME=' .. home, 'npm_config_prefix=' .. prefix })
  return vim.list_extend(cmd, argv)
end

--- Runs Neovim as that person (their own init), then `check.lua`'s checks
--- once it has started; returns what they found.
local function run_nvim(home)
  local out = home .. '/result.json'
  local check = home .. '/check.lua'
  T.write(check, ([[
vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = function()
  local r = { command_before = vim.fn.exists(':Qwen') == 2 }
  vim.defer_fn(function()
    r.statusline = nil
    vim.wait(20000, function()
      local ok, s = pcall(function() return require('qwen').statusline() end)
      r.statusline = ok and s or ('error: ' .. tostring(s))
      return r.statusline == 'Qwen: signed out'
    end, 20)
    r.plug = vim.fn.maparg('<Plug>(qwen-model)', 'n')
    local ok, err = pcall(vim.cmd, 'help qwen')
    r.help = ok and vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ':t') or tostring(err)
    r.help_line = ok and vim.api.nvim_get_current_line() or ''
    pcall(function() require('qwen').client():stop(2000) end)
    local f = io.open(%q, 'w'); f:write(vim.json.encode(r)); f:close()
    vim.cmd('qall!')
  end, 100)
end })
]]):format(out))
  local nvim = vim.env.NVIM_QWEN_TEST_NVIM or vim.v.progpath
  local r = vim.system(as_person(home, { nvim, '--headless', '-n', '-i', 'NONE', '-c', 'luafile ' .. vim.fn.fnameescape(check) }), { cwd = T.project, text = true }):wait(60000)
  local text = T.read(out)
  T.ok(text, ('Neovim wrote no result (exit %s)\n%s\n%s'):format(r.code, r.stdout or '', r.stderr or ''))
  return vim.json.decode(text)
end

local function expect_working(r)
  T.eq(r.statusline, 'Qwen: signed out', 'the server found next to the plugin')
  T.eq(r.plug, '<Cmd>Qwen model<CR>')
  T.eq(r.help, 'qwen.txt', ':h qwen')
  T.contains(r.help_line, '*qwen*')
end

T.test('npm root -g names the global package folder (the path the recipes use)', function()
  local r = vim.system(as_person(T.home, { 'npm', 'root', '-g' }), { text = true }):wait(60000)
  T.eq(r.code, 0, r.stderr)
  T.eq(vim.trim(r.stdout), prefix .. '/lib/node_modules')
end)

T.test("docs recipe: Neovim's own packages", function()
  local home = vim.fn.tempname()
  vim.fn.mkdir(home, 'p')
  local sh = block("**Neovim's own packages**", 'sh')
  local r = vim.system(as_person(home, { 'bash', '-euc', sh }), { text = true }):wait(60000)
  T.eq(r.code, 0, 'the shell recipe: ' .. (r.stderr or ''))
  T.write(home .. '/.config/nvim/init.lua', block('and in `~/.config/nvim/init.lua`', 'lua') .. '\n')
  expect_working(run_nvim(home))
end)

T.test('docs recipe: a lazy.nvim spec for the package folder', function()
  local home = vim.fn.tempname()
  vim.fn.mkdir(home, 'p')
  local npm_root = prefix .. '/lib/node_modules'
  local spec = block('**lazy.nvim**, with that folder as a local plugin', 'lua')
  -- The folder `npm root -g` printed, in place of the example one.
  spec = spec:gsub(vim.pesc('/usr/local/lib/node_modules'), npm_root)
  T.write(home .. '/.config/nvim/lua/plugins/qwen.lua', spec .. '\n')
  T.write(home .. '/.config/nvim/lua/lazy_emu.lua', table.concat(vim.fn.readfile(T.dir .. '/lazy/lazy_emu.lua'), '\n') .. '\n')
  T.write(home .. '/.config/nvim/init.lua', 'require("lazy_emu").setup("plugins")\n')
  local r = run_nvim(home)
  T.eq(r.command_before, true, ':Qwen exists before the plugin is loaded (cmd = "Qwen")')
  expect_working(r)
end)
