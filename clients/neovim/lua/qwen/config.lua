--- Options of `require("qwen").setup()` and the server command they imply.
local M = {}
local H = {}

--- Default options. See `:h qwen-options`.
M.defaults = {
  -- The full server command (`string[]`, or a string for one word). When nil:
  -- `node <plugin>/../../dist/server.js` if the plugin sits in the
  -- qwen-agent-server package, else `qwen-agent-server` on `PATH`.
  cmd = nil,
  -- Extra arguments after `--stdio`, e.g. `{ "--log-file", "/tmp/qwen.log" }`.
  args = {},
  -- Extra environment for the server process (merged into Neovim's own).
  env = {},
  -- `initializationOptions` sent with `initialize` (model, authType, cwd, ...).
  init_options = {},
  -- Open the Qwen OAuth page in the browser: true, false (show the link
  -- only) or a function(url) returning true when it opened it. Over SSH the
  -- link is only shown unless this is a function.
  open_browser = true,
  -- Copy the Qwen OAuth user code to the clipboard (`+`, else OSC 52).
  copy_code = true,
  statusline = {
    -- Start the server once Neovim has started, so that `statusline()` has
    -- something to show before the first `:Qwen` command.
    enabled = true,
    -- A function(state) returning the text, to replace the default one.
    format = nil,
  },
  -- "trace" | "debug" | "info" | "warn" | "error" | "off" (or vim.log.levels).
  log_level = 'warn',
  -- Log file; default `stdpath("log")/qwen.log`.
  log_file = nil,
  -- The workspace folder: a string or a function returning one; default the
  -- current directory when the server starts.
  root = nil,
}

--- The options in force: defaults until `setup()` is called.
M.options = vim.deepcopy(M.defaults)

--- Merges user options over the defaults and validates them.
---@param opts table|nil
function M.set(opts)
  opts = opts or {}
  H.check('opts', opts, { 'table' })
  local o = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- Lists are replaced, not merged by index.
  if opts.args then o.args = vim.deepcopy(opts.args) end
  if type(opts.cmd) == 'table' then o.cmd = vim.deepcopy(opts.cmd) end
  if type(opts.statusline) == 'boolean' then o.statusline = vim.tbl_extend('force', M.defaults.statusline, { enabled = opts.statusline }) end
  H.check('cmd', o.cmd, { 'table', 'string' }, true)
  H.check('args', o.args, { 'table' })
  H.check('env', o.env, { 'table' })
  H.check('init_options', o.init_options, { 'table' })
  H.check('open_browser', o.open_browser, { 'boolean', 'function' })
  H.check('copy_code', o.copy_code, { 'boolean' })
  H.check('statusline', o.statusline, { 'table' })
  H.check('statusline.enabled', o.statusline.enabled, { 'boolean' })
  H.check('statusline.format', o.statusline.format, { 'function' }, true)
  H.check('log_level', o.log_level, { 'string', 'number' })
  H.check('log_file', o.log_file, { 'string' }, true)
  H.check('root', o.root, { 'string', 'function' }, true)
  M.options = o
  return o
end

--- The plugin's root folder (`clients/neovim` in the repository).
function M.plugin_root()
  local src = debug.getinfo(1, 'S').source:sub(2)
  local dir = vim.fn.fnamemodify(src, ':p:h:h:h')
  -- Through a symlink (a `pack/*/start` link): the folder it points to,
  -- whose ../../dist is the package's.
  return vim.uv.fs_realpath(dir) or dir
end

--- The server script shipped next to the plugin, when there is one.
function M.bundled_server()
  local p = M.bundled_path()
  if vim.uv.fs_stat(p) then return vim.uv.fs_realpath(p) or p end
  return nil
end

--- Where the server script would be if the plugin sat in the
--- qwen-agent-server package: an absolute path, without `..`.
function M.bundled_path()
  return vim.fn.simplify(vim.fs.normalize(M.plugin_root() .. '/../../dist/server.js'))
end

--- The command that runs the server, without `--stdio` and extra args.
---@return string[]|nil cmd, string|nil why  the command, or why none was found
function M.base_cmd()
  local o = M.options
  if o.cmd then
    local cmd = type(o.cmd) == 'string' and { o.cmd } or vim.deepcopy(o.cmd)
    if #cmd == 0 then return nil, 'the `cmd` option is empty' end
    if vim.fn.executable(cmd[1]) ~= 1 then return nil, ('`%s` (the `cmd` option) is not executable'):format(cmd[1]) end
    return cmd
  end
  local script = M.bundled_server()
  if script then
    if vim.fn.executable('node') == 1 then return { vim.fn.exepath('node'), script } end
    return nil, ('found %s but `node` is not on PATH'):format(script)
  end
  local exe = vim.fn.exepath('qwen-agent-server')
  if exe ~= '' then return { exe } end
  return nil, ('`qwen-agent-server` is not on PATH and %s does not exist'):format(M.bundled_path())
end

--- The full command: base, `--stdio`, then the `args` option.
---@return string[]|nil cmd, string|nil why
function M.server_cmd()
  local cmd, why = M.base_cmd()
  if not cmd then return nil, why end
  table.insert(cmd, '--stdio')
  vim.list_extend(cmd, M.options.args or {})
  return cmd
end

--- The workspace folder for a new server.
function M.root()
  local r = M.options.root
  if type(r) == 'function' then r = r() end
  r = r or vim.fn.getcwd()
  return vim.fs.normalize(vim.fn.fnamemodify(r, ':p')):gsub('(.)/$', '%1')
end

--- True when Neovim runs over SSH (the browser is on another machine).
function M.over_ssh()
  return H.nonempty(vim.env.SSH_CONNECTION) or H.nonempty(vim.env.SSH_TTY) or H.nonempty(vim.env.SSH_CLIENT)
end

--- Raises a readable error for an option of the wrong type.
function H.check(name, value, types, optional)
  if value == nil and optional then return end
  if vim.tbl_contains(types, type(value)) then return end
  error(('qwen.setup(): `%s` must be %s, got %s'):format(name, table.concat(types, ' or '), type(value)), 3)
end

function H.nonempty(s) return s ~= nil and s ~= '' end

return M
