--- A lualine component: `sections = { lualine_x = { 'qwen' } }`. It shows
--- what `require("qwen").statusline()` shows, coloured by state with the
--- QwenStatusOk / QwenStatusWarn / QwenStatusError groups (`:h qwen-lualine`).
local Component = require('lualine.component'):extend()

function Component:init(options)
  options = options or {}
  if options.color == nil then
    options.color = function() return require('qwen').status_hl() end
  end
  Component.super.init(self, options)
end

function Component:update_status() return require('qwen').statusline() end

return Component
