--- Defines `:Qwen` without loading the rest of the plugin.
local M = {}

function M.create()
  vim.api.nvim_create_user_command('Qwen', function(o) require('qwen').command(o) end, {
    nargs = '*',
    bang = true,
    desc = 'Qwen: sign in, pick a model (status, login, logout, model, test, config, trust, restart, log)',
    complete = function(...) return require('qwen').complete(...) end,
  })
end

return M
