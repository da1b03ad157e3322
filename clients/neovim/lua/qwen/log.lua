--- A small file logger that never writes a secret.
local M = {}
local H = {}

local levels = vim.log.levels
local names = { [levels.TRACE] = 'TRACE', [levels.DEBUG] = 'DEBUG', [levels.INFO] = 'INFO', [levels.WARN] = 'WARN', [levels.ERROR] = 'ERROR' }

--- The log file in use.
function M.path()
  local o = require('qwen.config').options
  return o.log_file or (vim.fn.stdpath('log') .. '/qwen.log')
end

--- The threshold: a vim.log.levels number (OFF disables the log).
function M.level()
  local l = require('qwen.config').options.log_level
  if type(l) == 'number' then return l end
  return levels[tostring(l):upper()] or levels.WARN
end

--- Field names whose value is a secret.
local SECRET = { 'key$', 'token', 'secret', 'password', 'authorization' }

--- A copy of `v` in which every secret-named field is replaced by `…`.
function M.redact(v, depth)
  depth = depth or 0
  if type(v) ~= 'table' or depth > 8 then return v end
  local out = {}
  for k, x in pairs(v) do
    if type(k) == 'string' and H.secret_name(k) and type(x) == 'string' then
      out[k] = '…'
    else
      out[k] = M.redact(x, depth + 1)
    end
  end
  return out
end

function H.secret_name(k)
  local l = k:lower()
  -- A redacted form or a variable name is not the secret itself.
  if l == 'redacted' or l == 'envkey' then return false end
  for _, p in ipairs(SECRET) do
    if l:find(p) then return true end
  end
  return false
end

---@param level integer vim.log.levels
---@param msg string
---@param data any? logged redacted
function M.log(level, msg, data)
  if level < M.level() or M.level() >= levels.OFF then return end
  local line = ('[%s] %s %s'):format(names[level] or '?', os.date('%Y-%m-%d %H:%M:%S'), msg)
  if data ~= nil then line = line .. ' ' .. vim.inspect(M.redact(data), { newline = ' ', indent = '' }) end
  H.write(line)
end

function H.write(line)
  local path = M.path()
  vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
  local f = io.open(path, 'a')
  if f then
    f:write(line, '\n')
    f:close()
  end
end

--- A message shown to the person, written whole (unless the log is off):
--- the command line may show it cut to one line.
function M.message(level, msg)
  if M.level() >= levels.OFF then return end
  H.write(('[%s] %s %s'):format(names[level] or '?', os.date('%Y-%m-%d %H:%M:%S'), msg))
end

function M.trace(msg, data) M.log(levels.TRACE, msg, data) end
function M.debug(msg, data) M.log(levels.DEBUG, msg, data) end
function M.info(msg, data) M.log(levels.INFO, msg, data) end
function M.warn(msg, data) M.log(levels.WARN, msg, data) end
function M.error(msg, data) M.log(levels.ERROR, msg, data) end

--- Runs `fn` with Neovim's own LSP log raised to WARN, so that its debug
--- lines (which hold whole messages) cannot record a secret sent to the server.
function M.without_lsp_debug(fn, ...)
  local lsplog = vim.lsp.log
  local before = lsplog.get_level()
  local raised = before < levels.WARN
  if raised then lsplog.set_level(levels.WARN) end
  local ok, a, b = pcall(fn, ...)
  if raised then lsplog.set_level(before) end
  if not ok then error(a, 0) end
  return a, b
end

return M
