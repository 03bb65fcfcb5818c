-- fake_driver: a provisioning driver written in Lua, as an organisation
-- would add one without touching paved.  It provides
-- provision.driver.postgres.fake and provision.driver.redis.fake and
-- keeps its "servers" as files under $PAVED_HOME/fake/.
--   create  -> {url, state, summary}; fails for names starting "fail"
--              and when the option fail is true
--   destroy -> removes the file; status -> running/missing; stop -> 0
local function path(r) return paved.home() .. "/fake/" .. r.name end

local function driver(args)
  local r = args.resource
  if args.action == "stop" then return { stopped = 0 } end
  if args.action == "start" then return { started = 0 } end
  if args.action == "create" then
    if r.name:sub(1, 4) == "fail" or (r.options and r.options.fail) then
      error("the fake cloud is down for " .. r.name, 0)
    end
    if r.options and r.options.slow then paved.run { "sleep", "0.3" } end
    paved.fs.mkdir(paved.home() .. "/fake")
    paved.fs.write(path(r), r.type .. " " .. r.size .. "\n")
    return {
      url = "fake://" .. r.name .. ":s3cr3t-" .. r.name .. "@fake.example/" .. r.name,
      state = { file = path(r) },
      summary = "fake " .. r.type .. " " .. r.name,
    }
  elseif args.action == "destroy" then
    paved.fs.remove(path(r))
    return { destroyed = r.name }
  elseif args.action == "status" then
    return { status = paved.fs.exists(path(r)) and "running" or "missing" }
  end
  error("unknown action " .. tostring(args.action), 0)
end

return {
  name = "fake_driver", version = "1.0.0",
  summary = "a fake provisioning driver for tests (Lua)",
  init = function()
    paved.provide("provision.driver.postgres.fake", driver)
    paved.provide("provision.driver.redis.fake", driver)
  end,
}
