--- What the plugin knows of the server's state, for the statusline and
--- other plugins: kept fresh from the server's notifications.
local M = {
  --- "stopped" | "starting" | "running" | "exited" (as of the last statusline())
  server = 'stopped',
  --- auth/status result, or nil before the first answer
  auth = nil,
  --- the selected ModelRef, or nil
  selected = nil,
  --- the Model entry (from model/list) of the selection, or nil
  model = nil,
  --- model/list groups
  groups = nil,
  --- true when the selected model's credential is there (or, with no
  --- selection, when any method is signed in)
  signed_in = false,
  --- the loginId of a Qwen OAuth sign-in in progress
  login_pending = nil,
  --- errors in the settings files: { path, message, line }[] (diagnostics
  --- of severity error the server published)
  settings_errors = {},
  --- why the server could not be started (nil once it runs)
  server_missing = nil,
}

--- Finds the Model entry for a ModelRef in model/list groups.
function M.find_model(groups, ref)
  if not ref then return nil end
  for _, g in ipairs(groups or {}) do
    for _, m in ipairs(g.models or {}) do
      if m.id == ref.id and m.authType == ref.authType and (ref.baseUrl == nil or m.baseUrl == nil or m.baseUrl == ref.baseUrl) then return m end
    end
  end
  return nil
end

--- Recomputes the derived fields.
function M.derive()
  M.model = M.find_model(M.groups, M.selected)
  if M.selected then
    M.signed_in = M.model ~= nil and M.model.available == true
  else
    M.signed_in = false
    for _, m in ipairs(M.auth and M.auth.methods or {}) do
      if m.state == 'signedIn' then M.signed_in = true end
    end
  end
end

return M
