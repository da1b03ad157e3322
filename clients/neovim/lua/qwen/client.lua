--- One qwen-agent-server process driven over stdio through `vim.lsp.rpc`.
---
--- A client starts its server on first use, sends `initialize`/`initialized`,
--- queues requests until the handshake is done, answers
--- `window/showDocument`, and reports an exit; the next request starts a new
--- server.
local log = require('qwen.log')
local config = require('qwen.config')

local Client = {}
Client.__index = Client

--- Error code of requests that never got an answer because the server exited.
Client.EXITED = -32097
--- Error code of a request the server answered as cancelled (-32800).
Client.CANCELLED = -32800

---@class qwen.ClientHandlers
---@field notification? fun(method: string, params: any)
---@field show_document? fun(params: table): table   result of window/showDocument
---@field ready? fun(client: table)
---@field exit? fun(client: table, code: integer, signal: integer, expected: boolean)
---@field start_failed? fun(why: string)  no server command was found

---@param handlers qwen.ClientHandlers|nil
function Client.new(handlers)
  return setmetatable({
    handlers = handlers or {},
    status = 'stopped', -- stopped | starting | running | exited
    rpc = nil,
    queue = {},
    pending = {},
    next_token = 0,
    server_info = nil,
    capabilities = nil,
    cmd = nil,
    root = nil,
    exit_info = nil,
    generation = 0,
  }, Client)
end

function Client:is_running() return self.status == 'running' end

--- Starts the server unless it is running or starting.
---@return boolean ok, string|nil why  why it could not be started
function Client:ensure()
  if self.status == 'running' or self.status == 'starting' then return true end
  return self:start()
end

--- Starts a server (stopping the one running, if any).
---@return boolean ok, string|nil why  why it could not be started
function Client:start()
  -- Never two servers for one client: a running one is stopped first.
  if self.rpc then self:stop() end
  local cmd, why = config.server_cmd()
  if not cmd then
    local msg = 'qwen-agent-server not found: ' .. why .. '; install it (npm install -g qwen-agent-server) or set the `cmd` option (:h qwen-option-cmd)'
    log.error(msg)
    self:_fail_all(msg)
    if self.handlers.start_failed then self.handlers.start_failed(msg) end
    return false, msg
  end
  local root = config.root()
  if not vim.uv.fs_stat(root) then root = vim.uv.cwd() end
  self.generation = self.generation + 1
  local gen = self.generation
  self.cmd, self.root, self.exit_info = cmd, root, nil
  self.status = 'starting'
  local dispatchers = {
    notification = function(method, params) self:_on_notification(gen, method, params) end,
    server_request = function(method, params) return self:_on_server_request(method, params) end,
    on_exit = function(code, signal)
      vim.schedule(function() self:_on_exit(gen, code, signal) end)
    end,
    on_error = function(code, err) log.warn('rpc error', { code = code, err = tostring(err) }) end,
  }
  local env = next(config.options.env) and vim.deepcopy(config.options.env) or nil
  log.info('starting server', { cmd = cmd, cwd = root })
  local ok, rpc = pcall(log.without_lsp_debug, vim.lsp.rpc.start, cmd, dispatchers, { cwd = root, env = env })
  if not ok then
    self.status = 'exited'
    local msg = ('could not start qwen-agent-server (%s): %s'):format(table.concat(cmd, ' '), tostring(rpc))
    log.error(msg)
    self:_fail_all(msg)
    return false, msg
  end
  self.rpc = rpc
  local uri = vim.uri_from_fname(root)
  local params = {
    processId = vim.fn.getpid(),
    clientInfo = { name = 'Neovim', version = tostring(vim.version()) },
    rootUri = uri,
    rootPath = root,
    workspaceFolders = { { uri = uri, name = vim.fs.basename(root) } },
    capabilities = { window = { showDocument = { support = true } } },
    initializationOptions = next(config.options.init_options) and config.options.init_options or vim.empty_dict(),
  }
  self:_send('initialize', params, function(err, result)
    if gen ~= self.generation then return end
    if err then
      local msg = require('qwen.util').error_text(err)
      log.error('initialize failed: ' .. msg)
      self:_fail_all('initialize failed: ' .. msg)
      self:stop()
      require('qwen.util').notify('qwen-agent-server failed to initialize: ' .. msg, vim.log.levels.ERROR)
      return
    end
    self.server_info = result and result.serverInfo or nil
    self.capabilities = result and result.capabilities or {}
    self.rpc.notify('initialized', vim.empty_dict())
    self.status = 'running'
    log.info('server ready', self.server_info)
    local queued = self.queue
    self.queue = {}
    for _, q in ipairs(queued) do self:_send(q.method, q.params, q.cb, q.secret, q.ticket) end
    if self.handlers.ready then self.handlers.ready(self) end
  end, true)
  return true
end

--- The `qwenAgent` capability the server announced (protocolVersion, methods...).
function Client:qwen_capabilities()
  local c = self.capabilities or {}
  return (c.experimental or {}).qwenAgent
end

--- Sends a request (starting the server when needed). `cb(err, result)` is
--- called once, in the main loop. With `secret = true` the params hold a
--- secret: nothing logs them.
---@param method string
---@param params table|nil
---@param cb fun(err: table|nil, result: any)|nil
---@param secret boolean|nil
---@return table ticket  for `Client:cancel()`
function Client:request(method, params, cb, secret)
  cb = cb or function() end
  local ticket = {}
  if self.status ~= 'running' and self.status ~= 'starting' then
    local ok, why = self:start()
    if not ok then
      vim.schedule(function() cb({ code = Client.EXITED, message = why }, nil) end)
      return ticket
    end
  end
  if self.status == 'starting' then
    table.insert(self.queue, { method = method, params = params, cb = cb, secret = secret, ticket = ticket })
    return ticket
  end
  self:_send(method, params, cb, secret, ticket)
  return ticket
end

--- Sends `$/cancelRequest` for the request of `ticket` (what `request`
--- returned); one still queued is cancelled as soon as it is sent. The
--- request's callback still gets the server's answer.
function Client:cancel(ticket)
  if not ticket or ticket.answered then return false end
  if ticket.id and ticket.rpc and ticket.rpc == self.rpc then
    pcall(self.rpc.notify, '$/cancelRequest', { id = ticket.id })
    return true
  end
  ticket.cancel_when_sent = true
  return true
end

--- Like `request`, but waits (at most `timeout` ms) and returns err, result.
function Client:request_sync(method, params, timeout)
  local done, e, r = false, nil, nil
  self:request(method, params, function(err, result)
    done, e, r = true, err, result
  end)
  if not vim.wait(timeout or 10000, function() return done end, 10) then
    return { code = -32803, message = ('no answer to %s within %d ms'):format(method, timeout or 10000) }, nil
  end
  return e, r
end

function Client:notify(method, params)
  if self.status ~= 'running' then return false end
  return self.rpc.notify(method, params or vim.empty_dict())
end

function Client:_send(method, params, cb, secret, ticket)
  if secret then
    log.debug('-> ' .. method .. ' (params not logged)')
  else
    log.debug('-> ' .. method, params)
  end
  self.next_token = self.next_token + 1
  local token = self.next_token
  self.pending[token] = cb
  local function on_reply(err, result)
    if self.pending[token] == nil then return end
    self.pending[token] = nil
    if ticket then ticket.answered = true end
    if err then
      log.debug('<- ' .. method .. ' error', { code = err.code, message = err.message, data = err.data })
    else
      log.trace('<- ' .. method, result)
    end
    cb(err, result)
  end
  -- vim.lsp.rpc drops a -32800 (RequestCancelled) answer without calling
  -- back; its reply notice still comes, first: a request it answered that
  -- way gets that error here, after the answer's own callback had its turn.
  local function on_any_reply()
    vim.schedule(function() on_reply({ code = Client.CANCELLED, message = 'request cancelled' }, nil) end)
  end
  local send = function() return self.rpc.request(method, params or vim.empty_dict(), on_reply, on_any_reply) end
  local ok, sent, id = pcall(secret and function() return log.without_lsp_debug(send) end or send)
  if not ok or not sent then
    self.pending[token] = nil
    vim.schedule(function() cb({ code = Client.EXITED, message = 'qwen-agent-server is not running' }, nil) end)
    return
  end
  if ticket then
    -- The JSON-RPC id, for $/cancelRequest (valid for this server process only).
    ticket.id, ticket.rpc = id, self.rpc
    if ticket.cancel_when_sent then self:cancel(ticket) end
  end
end

function Client:_on_notification(gen, method, params)
  if gen ~= self.generation then return end
  log.trace('<- ' .. method, params)
  if method == 'window/logMessage' and type(params) == 'table' then
    local map = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG, vim.log.levels.TRACE }
    log.log(map[params.type] or vim.log.levels.DEBUG, 'server: ' .. tostring(params.message))
    return
  end
  if self.handlers.notification then self.handlers.notification(method, params) end
end

function Client:_on_server_request(method, params)
  log.debug('server request ' .. method, params)
  if method == 'window/showDocument' then
    local h = self.handlers.show_document
    local ok, res = pcall(function() return h and h(params or {}) or { success = false } end)
    if not ok then
      log.error('window/showDocument handler failed: ' .. tostring(res))
      return { success = false }
    end
    return res
  end
  return nil, vim.lsp.rpc.rpc_response_error(vim.lsp.protocol.ErrorCodes.MethodNotFound, 'not supported by the Neovim client: ' .. method)
end

function Client:_on_exit(gen, code, signal)
  if gen ~= self.generation then return end
  local expected = self.stopping == gen
  self.status = expected and 'stopped' or 'exited'
  self.rpc = nil
  self.exit_info = { code = code, signal = signal, expected = expected }
  log.log(expected and vim.log.levels.INFO or vim.log.levels.ERROR, ('server exited (code %s, signal %s)'):format(code, signal))
  self:_fail_all(('qwen-agent-server exited (code %s%s)'):format(code, signal ~= 0 and (', signal ' .. signal) or ''))
  if self.handlers.exit then self.handlers.exit(self, code, signal, expected) end
end

--- Fails every queued and pending request.
function Client:_fail_all(message)
  local queued, pending = self.queue, self.pending
  self.queue, self.pending = {}, {}
  local err = { code = Client.EXITED, message = message }
  for _, q in ipairs(queued) do vim.schedule(function() q.cb(err, nil) end) end
  for _, cb in pairs(pending) do vim.schedule(function() cb(err, nil) end) end
end

--- Stops the server: `shutdown`, then `exit`; kills it if it does not go.
---@param wait_ms integer|nil wait for the shutdown answer (synchronously)
function Client:stop(wait_ms)
  local rpc, gen = self.rpc, self.generation
  self.status, self.rpc = 'stopped', nil
  self:_fail_all('qwen-agent-server was stopped')
  if not rpc then return end
  self.stopping = gen
  local answered = false
  pcall(rpc.request, 'shutdown', nil, function()
    answered = true
    pcall(rpc.notify, 'exit', nil)
  end)
  if wait_ms then
    vim.wait(wait_ms, function() return answered end, 10)
    if not answered then pcall(rpc.terminate) end
  else
    vim.defer_fn(function()
      if not answered then pcall(rpc.terminate) end
    end, 2000)
  end
end

return Client
