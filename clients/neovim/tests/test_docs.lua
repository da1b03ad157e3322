-- doc/qwen.txt: valid tags, no dangling links, every option and subcommand
-- documented.
local T = require('runner')

local root = vim.fn.fnamemodify(T.dir, ':h')
local doc = root .. '/doc/qwen.txt'

local function tags_of(file)
  local out = {}
  for line in io.lines(file) do
    local name = line:match('^(%S+)\t')
    if name then out[name] = true end
  end
  return out
end

T.test(':helptags builds the tags of doc/qwen.txt without errors', function()
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp, 'p')
  vim.fn.writefile(vim.fn.readfile(doc), tmp .. '/qwen.txt')
  local ok, err = pcall(vim.cmd, 'helptags ' .. vim.fn.fnameescape(tmp))
  T.ok(ok, 'helptags: ' .. tostring(err))
  local tags = tags_of(tmp .. '/tags')
  for _, t in ipairs({ 'qwen.txt', 'qwen-setup', 'qwen-options', ':Qwen', 'qwen.statusline()', 'qwen-health', 'QwenModelChanged', 'QwenAuthChanged', 'qwen-oauth' }) do
    T.ok(tags[t], 'tag ' .. t)
  end
  vim.fn.delete(tmp, 'rf')
end)

T.test('every |link| in doc/qwen.txt resolves', function()
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp, 'p')
  vim.fn.writefile(vim.fn.readfile(doc), tmp .. '/qwen.txt')
  vim.cmd('helptags ' .. vim.fn.fnameescape(tmp))
  local own = tags_of(tmp .. '/tags')
  local builtin = tags_of(vim.env.VIMRUNTIME .. '/doc/tags')
  local in_code = false
  for line in io.lines(doc) do
    if line:match('>%a*$') then in_code = true end
    if not in_code then
      for link in line:gmatch('|([^|%s]+)|') do
        T.ok(own[link] or builtin[link], 'dangling link |' .. link .. '|')
      end
    end
    if in_code and line:match('^<') then in_code = false end
  end
  vim.fn.delete(tmp, 'rf')
end)

T.test('every option and subcommand is documented', function()
  local text = table.concat(vim.fn.readfile(doc), '\n')
  for name in pairs(require('qwen.config').defaults) do
    T.contains(text, '*qwen-option-' .. name .. '*')
  end
  for name in pairs(require('qwen').subcommands) do
    T.contains(text, '*:Qwen-' .. name .. '*')
  end
end)

T.test(':h qwen opens the top of doc/qwen.txt with no :helptags run (doc/tags is shipped)', function()
  vim.cmd('help qwen')
  local buf = vim.api.nvim_get_current_buf()
  T.eq(vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':t'), 'qwen.txt')
  local line = vim.api.nvim_get_current_line()
  T.contains(line, '*qwen*')
  T.ok(vim.fn.line('.') <= 2, 'the top of the file, not line ' .. vim.fn.line('.'))
  vim.cmd('helpclose')
end)

T.test('the shipped doc/tags is what :helptags makes of doc/qwen.txt', function()
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp, 'p')
  vim.fn.writefile(vim.fn.readfile(doc), tmp .. '/qwen.txt')
  vim.cmd('helptags ' .. vim.fn.fnameescape(tmp))
  T.eq(vim.fn.readfile(root .. '/doc/tags'), vim.fn.readfile(tmp .. '/tags'), 'doc/tags is stale: run :helptags clients/neovim/doc')
  vim.fn.delete(tmp, 'rf')
end)
