-- naming-policy: an example Lua plugin that enforces a service naming
-- policy and vetoes runs that break it, with the reason.
--
-- It observes before:recipe.run, so it applies to `paved create service`,
-- `paved new` and any plugin calling recipe.run.  Install it by copying it
-- into a plugins directory (see `paved config path`).
--
--   $ paved create service Billing_Svc --template node-api
--   paved: naming-policy: before:recipe.run: service name 'Billing_Svc' breaks
--   the naming policy: lowercase letters, digits and single '-' only; try 'billing-svc'

local function suggest(name)
  local s = name:lower():gsub("[^a-z0-9]+", "-"):gsub("^-+", ""):gsub("-+$", "")
  return s
end

local function split(csv)
  local set = {}
  for w in (csv or ""):gmatch("[^,%s]+") do set[w] = true end
  return set
end

local function check(args)
  local name = args.params and args.params.name
  if type(name) ~= "string" then return true end
  local max = paved.option("max_length")
  local problems = {}
  if not name:find("^[a-z][a-z0-9%-]*$") or name:find("%-%-") or name:find("%-$") then
    problems[#problems + 1] = "lowercase letters, digits and single '-' only"
  end
  if #name > max then
    problems[#problems + 1] = string.format("at most %d characters (it has %d)", max, #name)
  end
  if split(paved.option("reserved"))[name] then
    problems[#problems + 1] = "'" .. name .. "' is reserved"
  end
  if #problems == 0 then return true end
  local hint = suggest(name):sub(1, max)
  return false, string.format("service name '%s' breaks the naming policy: %s%s", name,
    table.concat(problems, "; "), hint ~= name and hint ~= "" and ("; try '" .. hint .. "'") or "")
end

return {
  name = "naming-policy",
  version = "1.0.0",
  summary = "vetoes golden-path runs whose service name breaks the naming policy",
  options = {
    { name = "max_length", type = "int", default = 40, description = "longest allowed name" },
    { name = "reserved", type = "string", default = "admin,api,paved,root,www",
      description = "comma-separated names nobody may use" },
  },
  init = function()
    paved.observe("before:recipe.run", 10, check)
  end,
}
