-- analysis_condition: evaluates the conditions of a canary's analysis
-- (successCondition, failureCondition) in the Lua sandbox.
--
-- condition.eval {condition, result} -> {value = true|false}
--   CONDITION is a Lua expression over `result`, the measured value: a
--   number ("result < 0.01"), a table for a list (result[1], 1-based, #result)
--   or an object ("result.ok", "result.status == 200").  It sees `result`,
--   math, string and a few base functions, nothing else: no paved module,
--   no globals of its own.  A condition that does not read, fails or gives
--   anything but true or false is an error naming it; the canary's
--   controller counts that measurement as an Error.

local function eval(args)
  local cond = args.condition
  if type(cond) ~= "string" or cond == "" then
    error("argument 'condition' (an expression over result) is required", 0)
  end
  local env = {
    result = args.result, math = math, string = string, tonumber = tonumber,
    tostring = tostring, type = type, ipairs = ipairs, pairs = pairs, select = select,
  }
  local fn, err = load("return " .. cond, "=condition", "t", env)
  if not fn then
    error("'" .. cond .. "' does not read as an expression: " .. tostring(err), 0)
  end
  local ok, v = pcall(fn)
  if not ok then error("'" .. cond .. "': " .. tostring(v), 0) end
  if type(v) ~= "boolean" then
    error("'" .. cond .. "' gives " .. type(v) .. ", not true or false", 0)
  end
  return { value = v }
end

return {
  name = "analysis_condition",
  version = "1.0.0",
  summary = "evaluates a canary's analysis conditions (Lua expressions over result) in the sandbox",
  init = function()
    paved.provide("condition.eval", eval)
  end,
}
