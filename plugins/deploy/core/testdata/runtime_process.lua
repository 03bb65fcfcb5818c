-- runtime_process.lua: a fake runtime driver "fake" for the deploy core's
-- tests (test_deploy_core.sh).  Named like the bundled runtime plugin so
-- that, first in --plugin-path, it shadows it: the deploy core is tested
-- against the declared runtime fronts (sdk/hooks.json) without HAProxy or
-- a single process.  Select it with -c drivers.runtime=fake.
--
-- Replicas are records in $PAVED_HOME/fake-runtime/ENV.SERVICE.json.  A
-- replica is healthy unless its release holds a file named UNHEALTHY.
-- Faults: -c plugins.runtime_process.fail=enable,weights makes those verbs
-- fail ("fake: runtime.VERB refused (injected fault)").
-- Logs: each replica logs "starting VERSION" and "listening on PORT" when
-- it starts; runtime.logs merges them by sequence (the cursor).

local function dir()
  local d = paved.home() .. "/fake-runtime"
  assert(paved.fs.mkdir(d))
  return d
end

local function path(svc, env) return dir() .. "/" .. env .. "." .. svc .. ".json" end

local function load(svc, env)
  local text = paved.fs.read(path(svc, env))
  if text then return paved.json.decode(text) end
  return { replicas = paved.json.array{}, next_id = 1, lines = paved.json.array{} }
end

local function save(svc, env, s)
  if #s.replicas == 0 then s.replicas = paved.json.array{} end
  assert(paved.fs.write(path(svc, env), paved.json.encode(s)))
end

-- a counter kept in a file: ports and log sequence numbers
local function next_number(name, first)
  local f = dir() .. "/" .. name
  local n = tonumber(paved.fs.read(f) or "") or first
  assert(paved.fs.write(f, tostring(n + 1)))
  return n
end

local function fault(verb)
  for v in string.gmatch(paved.option("fail") or "", "[^,%s]+") do
    if v == verb then error("fake: runtime." .. verb .. " refused (injected fault)", 0) end
  end
end

local function find(s, id)
  for i, r in ipairs(s.replicas) do if r.id == id then return r, i end end
  error("no replica '" .. tostring(id) .. "'", 0)
end

local function now() return os.date("!%Y-%m-%dT%H:%M:%S") end

local function log(s, r, text)
  local seq = next_number("seq", 1)
  s.lines[#s.lines + 1] = { seq = seq, time = now() .. string.format(".%03dZ", seq % 1000),
    replica = r.id, version = r.version, stream = "stdout", line = text }
end

local function healthy(r) return paved.fs.exists(r.dir .. "/UNHEALTHY") == nil end

local driver = {}

function driver.ensure(a)
  local s = load(a.service, a.env)
  if not s.port then
    s.port = next_number("ports", 20000)
    save(a.service, a.env, s)
  end
  return { url = "http://127.0.0.1:" .. s.port, port = s.port }
end

function driver.start(a)
  fault("start")
  local s = load(a.service, a.env)
  local r = { id = "r" .. s.next_id, version = a.version, dir = a.dir, argv = a.argv,
    variables = a.variables or {}, port = next_number("ports", 20000), enabled = false,
    started_at = now(), weight = 100 }
  s.next_id = s.next_id + 1
  s.replicas[#s.replicas + 1] = r
  log(s, r, "starting " .. a.version)
  log(s, r, "listening on " .. r.port)
  save(a.service, a.env, s)
  return { id = r.id, port = r.port }
end

function driver.wait(a)
  fault("wait")
  local r = find(load(a.service, a.env), a.id)
  if not healthy(r) then
    error(string.format("replica %s of %s/%s never became healthy (GET %s)", a.id, a.env,
      a.service, a.path or "/health"), 0)
  end
  return { healthy = true }
end

local function set(a, verb, f)
  fault(verb)
  local s = load(a.service, a.env)
  f(s)
  save(a.service, a.env, s)
  return paved.json.null
end

function driver.enable(a) return set(a, "enable", function(s) find(s, a.id).enabled = true end) end
function driver.disable(a) return set(a, "disable", function(s) find(s, a.id).enabled = false end) end
function driver.remove(a)
  return set(a, "remove", function(s) local _, i = find(s, a.id); table.remove(s.replicas, i) end)
end
function driver.weights(a)
  return set(a, "weights", function(s)
    for id, w in pairs(a.weights) do find(s, id).enabled = w > 0 end
  end)
end

local function entries(a)
  local out = paved.json.array{}
  for _, f in ipairs(paved.fs.list(dir()) or {}) do
    local env, svc = f:match("^([^.]+)%.(.+)%.json$")
    if env and (not a.service or a.service == svc) and (not a.env or a.env == env) then
      out[#out + 1] = { env = env, svc = svc, s = load(svc, env) }
    end
  end
  return out
end

function driver.status(a)
  fault("status")
  local out = paved.json.array{}
  for _, e in ipairs(entries(a)) do
    local reps = paved.json.array{}
    for _, r in ipairs(e.s.replicas) do
      reps[#reps + 1] = { id = r.id, version = r.version, port = r.port, enabled = r.enabled,
        healthy = healthy(r), state = "running", started_at = r.started_at, restarts = 0 }
    end
    out[#out + 1] = { service = e.svc, env = e.env, replicas = reps, running = #reps > 0,
      url = e.s.port and ("http://127.0.0.1:" .. e.s.port) or paved.json.null,
      port = e.s.port }
  end
  return out
end

function driver.stop(a)
  fault("stop")
  if not a.service and not a.all then error("stop needs a service or all", 0) end
  local n = 0
  for _, e in ipairs(entries(a)) do
    n = n + #e.s.replicas
    e.s.replicas = paved.json.array{}
    save(e.svc, e.env, e.s)
  end
  return { stopped = n }
end

function driver.destroy(a)
  fault("destroy")
  paved.fs.remove(path(a.service, a.env))
  return paved.json.null
end

function driver.prune(a) return paved.json.null end

function driver.logs(a)
  fault("logs")
  local s = load(a.service, a.env)
  local after = tonumber(a.cursor or "") or 0
  local lines = paved.json.array{}
  for _, l in ipairs(s.lines) do
    if l.seq > after then
      lines[#lines + 1] = { time = l.time, replica = l.replica, version = l.version,
        stream = l.stream, line = l.line }
    end
  end
  if a.tail and a.tail < #lines then
    local keep = paved.json.array{}
    for i = #lines - a.tail + 1, #lines do keep[#keep + 1] = lines[i] end
    lines = keep
  end
  local last = s.lines[#s.lines]
  return { lines = lines, cursor = tostring(last and last.seq or after) }
end

return {
  name = "runtime_process",
  version = "0.0.1",
  summary = "TEST ONLY: the runtime driver 'fake' (records, no processes)",
  -- its records; the releases, for their UNHEALTHY marker
  writes = { paved.home() .. "/fake-runtime" }, reads = { paved.home() .. "/deploy" },
  options = {
    { name = "fail", type = "string", default = "",
      description = "comma-separated verbs that fail (injected faults)" },
  },
  init = function()
    for verb, fn in pairs(driver) do
      paved.provide("runtime.driver.fake." .. verb, fn)
    end
  end,
}
