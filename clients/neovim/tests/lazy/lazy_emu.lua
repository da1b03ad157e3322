--- A stand-in for lazy.nvim, enough to run the docs' spec as written: it
--- reads the specs returned by lua/plugins/*.lua in the config folder and
--- handles `dir`, `name`, `main`, `cmd`, `event = "VeryLazy"` and `opts`
--- as lazy.nvim does (add the folder to 'runtimepath', source its plugin/
--- files, then `require(main).setup(opts)`). Like lazy.nvim, it never runs
--- :helptags for a `dir` plugin.
local M = {}

local function load(spec)
  if spec._loaded then return end
  spec._loaded = true
  -- A stub command is replaced by the plugin's own.
  if spec.cmd then pcall(vim.api.nvim_del_user_command, spec.cmd) end
  vim.opt.runtimepath:prepend(spec.dir)
  for _, f in ipairs(vim.fn.glob(spec.dir .. '/plugin/**/*.{lua,vim}', false, true)) do vim.cmd.source(vim.fn.fnameescape(f)) end
  if spec.opts ~= nil or spec.config then
    local main = spec.main or (spec.name or vim.fn.fnamemodify(spec.dir, ':t')):gsub('%.nvim$', ''):gsub('^nvim%-', '')
    if type(spec.config) == 'function' then
      spec.config(spec, spec.opts or {})
    else
      require(main).setup(spec.opts or {})
    end
  end
end

function M.setup(import)
  local dir = vim.fn.stdpath('config') .. '/lua/' .. import
  for _, file in ipairs(vim.fn.glob(dir .. '/*.lua', false, true)) do
    local spec = dofile(file)
    if spec.cmd then
      vim.api.nvim_create_user_command(spec.cmd, function(o)
        load(spec)
        vim.cmd(spec.cmd .. (o.bang and '!' or '') .. ' ' .. o.args)
      end, { nargs = '*', bang = true })
    end
    if spec.event == 'VeryLazy' then
      vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = function() vim.schedule(function() load(spec) end) end })
    end
  end
end

return M
