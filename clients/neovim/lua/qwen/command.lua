--- Defines `:Qwen`, the `<Plug>(qwen-…)` mappings and the highlight groups
--- without loading the rest of the plugin.
local M = {}

--- The subcommands that take no argument, each with a `<Plug>(qwen-<name>)`
--- mapping (bound to no key: see `:h qwen-mappings`).
M.plug = {
  status = 'Show the sign-in state and the model',
  login = 'Sign in',
  logout = 'Sign out',
  model = 'Pick a model',
  test = 'Test the selected model',
  config = 'Show the resolved configuration',
  trust = 'Decide whether to trust this folder',
  restart = 'Restart qwen-agent-server',
  log = 'Open the plugin log',
  chat = 'Open the chat (in Visual mode: with the selection as context)',
}

--- Highlight groups (`:h qwen-highlights`), linked by default so that a
--- colour scheme can set them.
M.highlights = {
  QwenStatusOk = 'StatusLine',
  QwenStatusWarn = 'DiagnosticWarn',
  QwenStatusError = 'DiagnosticError',
}

function M.create()
  vim.api.nvim_create_user_command('Qwen', function(o) require('qwen').command(o) end, {
    nargs = '*',
    bang = true,
    -- `:'<,'>Qwen chat` sends the selection as context.
    range = true,
    desc = 'Qwen: sign in, pick a model, chat (status, login, logout, model, test, config, trust, restart, log, chat)',
    complete = function(...) return require('qwen').complete(...) end,
  })
  for name, desc in pairs(M.plug) do
    vim.keymap.set('n', '<Plug>(qwen-' .. name .. ')', '<Cmd>Qwen ' .. name .. '<CR>', { desc = 'Qwen: ' .. desc })
  end
  -- In Visual mode ":" puts the '<,'> range in front.
  vim.keymap.set('x', '<Plug>(qwen-chat)', ':Qwen chat<CR>', { desc = 'Qwen: chat about the selection', silent = true })
  for group, link in pairs(M.highlights) do
    vim.api.nvim_set_hl(0, group, { link = link, default = true })
  end
end

return M
