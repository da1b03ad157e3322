-- Minimal init for the headless tests: only this plugin on 'runtimepath'.
--   nvim --headless -n -i NONE -u clients/neovim/tests/init.lua -c "lua vim.schedule(require('runner').main)"
local tests = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local root = vim.fn.fnamemodify(tests, ':h')
vim.opt.runtimepath = { root, vim.env.VIMRUNTIME }
vim.opt.packpath = {}
package.path = tests .. '/?.lua;' .. package.path
vim.o.shadafile = 'NONE'
vim.o.swapfile = false
vim.o.more = false
vim.o.columns = 120
vim.o.lines = 40
vim.cmd('runtime! plugin/qwen.lua')
-- The bundle under test ($QAS_DIST), found where the plugin looks for the
-- one shipped next to it.
if vim.env.NVIM_QWEN_TEST_SERVER and vim.env.NVIM_QWEN_TEST_SERVER ~= '' then
  require('qwen.config').bundled_server = function() return vim.env.NVIM_QWEN_TEST_SERVER end
end
