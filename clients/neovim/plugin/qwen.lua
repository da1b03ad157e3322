-- qwen.nvim: defines :Qwen, its <Plug> mappings and highlight groups;
-- everything else loads on first use.
if vim.g.loaded_qwen then return end
vim.g.loaded_qwen = true

if vim.fn.has('nvim-0.10') == 0 then
  vim.api.nvim_create_user_command('Qwen', function()
    vim.notify('Qwen: Neovim 0.10 or later is required', vim.log.levels.ERROR)
  end, { nargs = '*', bang = true })
  return
end

require('qwen.command').create()
