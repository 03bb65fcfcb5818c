-- fake_driver: a provisioning driver written in Lua, as an organisation
-- would add one without touching paved.  It provides the driver "fake"
-- (provision.driver.fake.VERB) for any type and keeps its "servers" as
-- files under $PAVED_HOME/fake/:
--   create   writes fake/NAME ("TYPE CLASS"); fails for names starting
--            "fail" and when params.fail is set; params.slow waits 0.3 s
--   plan     params.bad is refused; a changed params.layout means replace;
--            other changes are updates
--   update   rewrites fake/NAME
--   destroy  removes fake/NAME (and fake/NAME.data)
--   status   running/missing; has_data when fake/NAME.data exists (the
--            tests make it to stand for data)
local function path(r) return paved.home() .. "/fake/" .. r.name end

local function write(r)
  paved.fs.mkdir(paved.home() .. "/fake")
  paved.fs.write(path(r), r.type .. " " .. r.class .. "\n")
end

local function check(r, prev)
  if r.params and r.params.bad then
    error("resource '" .. r.name .. "': params.bad is refused by the fake driver", 0)
  end
end

local drivers = {}

function drivers.create(args)
  local r = args.resource
  check(r)
  if r.name:sub(1, 4) == "fail" or (r.params and r.params.fail) then
    error("the fake cloud is down for " .. r.name, 0)
  end
  if r.params and r.params.slow then paved.run { "sleep", "0.3" } end
  write(r)
  return {
    url = "fake://" .. r.name .. ":s3cr3t-" .. r.name .. "@fake.example:5432/" .. r.name,
    state = { file = path(r) },
    summary = "fake " .. r.type .. " " .. r.name,
  }
end

function drivers.plan(args)
  local r, p = args.resource, args.previous
  check(r, p)
  local rl = r.params and r.params.layout
  local pl = p.params and p.params.layout
  if rl ~= pl then
    return { action = "replace", fields = { "params.layout" }, reason = "the layout is fixed" }
  end
  if r.class ~= p.class then return { action = "update", fields = { "class" } } end
  return { action = "update" }
end

function drivers.update(args)
  check(args.resource, args.previous)
  write(args.resource)
  return { summary = "fake " .. args.resource.type .. " " .. args.resource.name }
end

function drivers.destroy(args)
  paved.fs.remove(path(args.resource))
  paved.fs.remove(path(args.resource) .. ".data")
  return { destroyed = args.resource.name }
end

function drivers.status(args)
  local there = paved.fs.exists(path(args.resource))
  return { status = there and "running" or "missing",
           has_data = paved.fs.exists(path(args.resource) .. ".data") and true or false }
end

function drivers.start() return { started = 0 } end
function drivers.stop() return { stopped = 0 } end

return {
  name = "fake_driver", version = "2.0.0",
  requires = { "sleep" }, writes = { paved.home() .. "/fake" },
  summary = "a fake provisioning driver for tests (Lua)",
  init = function()
    for verb, fn in pairs(drivers) do
      paved.provide("provision.driver.fake." .. verb, fn)
    end
  end,
}
