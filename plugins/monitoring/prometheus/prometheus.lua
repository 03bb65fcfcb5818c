-- prometheus: the monitoring driver "prometheus", written entirely in Lua.
-- It writes Prometheus configuration under $PAVED_HOME/monitoring (or the
-- option dir); callers use the fronts monitoring.VERB.
--
-- monitoring.driver.prometheus.register {service, owner?, env?, dir?,
--     metrics_path?, health_path?, slo?} -> {summary}
--   rules/SERVICE.yml (alert rules), services/SERVICE.json (owner and
--   metrics path, for the targets) and, once, prometheus.yml loading
--   rules/*.yml and targets/*.json.  No scrape target: a service that does
--   not run has none.
-- monitoring.driver.prometheus.targets {service, env, targets: [{address,
--     labels}]} -> {targets, file}
--   targets/SERVICE.ENV.json: one file_sd entry per running replica (its
--   own address), labelled service, env, owner and the given labels
--   (version, replica); an empty list removes the file.  The deploy plugin
--   calls it after every deploy, rollback, restart, scale and stop.
-- monitoring.driver.prometheus.unregister {service} -> {removed}
--   removes the rules, the metadata and every env's targets.
-- monitoring.driver.prometheus.list {} -> [{service, owner, targets}]

local function dir()
  local d = paved.option("dir")
  if d == nil or d == "" then d = paved.home() .. "/monitoring" end
  return d
end

local function check_name(s)
  if type(s) ~= "string" or not s:find("^[a-z][a-z0-9%-]*$") or #s > 63 then
    error("invalid service name '" .. tostring(s) .. "'", 0)
  end
  return s
end

local function check_env(s)
  if type(s) ~= "string" or not s:find("^[a-z][a-z0-9_%-]*$") or #s > 63 then
    error("invalid env '" .. tostring(s) .. "'", 0)
  end
  return s
end

local function mkdirs(d)
  for _, sub in ipairs{ d, d .. "/targets", d .. "/rules", d .. "/services" } do
    local ok, err = paved.fs.mkdir(sub)
    if not ok then error(err, 0) end
  end
end

local function write(path, text)
  local ok, err = paved.fs.write(path, text)
  if not ok then error(err, 0) end
end

local PROMETHEUS_YML = [[
# Written by paved (plugin prometheus).  Each registered service has its
# alert rules under rules/; each running replica is a scrape target under
# targets/ (one file per service and env, rewritten on every deploy).
global:
  scrape_interval: {{interval}}
  evaluation_interval: {{interval}}
rule_files:
  - {{{dir}}}/rules/*.yml
scrape_configs:
  - job_name: paved-services
    file_sd_configs:
      - files: ['{{{dir}}}/targets/*.json']
]]

local RULES_YML = [[
# Alert rules for {{service}} (owner {{owner}}), written by paved.
groups:
  - name: {{service}}
    rules:
      - alert: {{service}}-down
        expr: up{service="{{service}}"} == 0
        for: 1m
        labels: {severity: page, owner: {{owner}}}
        annotations:
          summary: "{{service}} is down"
          runbook: "README.md#runbook"
      - alert: {{service}}-high-error-rate
        expr: sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="{{service}}"}[5m])) > 0.05
        for: 5m
        labels: {severity: page, owner: {{owner}}}
        annotations:
          summary: "{{service}}: more than 5% of requests fail"
      - alert: {{service}}-slow
        expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[5m]))) > 0.5
        for: 10m
        labels: {severity: ticket, owner: {{owner}}}
        annotations:
          summary: "{{service}}: p95 latency above 500 ms"
]]

-- The metadata register wrote for NAME ({owner, metrics_path}), or {}.
local function meta(d, name)
  local text = paved.fs.read(d .. "/services/" .. name .. ".json")
  return text and paved.json.decode(text) or {}
end

local function register(args)
  local name = check_name(args.service)
  local owner = args.owner or "unowned"
  if type(owner) ~= "string" or not owner:find("^[%w%-_.]+$") then
    error("invalid owner '" .. tostring(owner) .. "'", 0)
  end
  local d = dir()
  mkdirs(d)
  if not paved.fs.exists(d .. "/prometheus.yml") then
    write(d .. "/prometheus.yml",
      paved.render(PROMETHEUS_YML, { dir = d, interval = paved.option("scrape_interval") }))
  end
  local rfile = d .. "/rules/" .. name .. ".yml"
  write(rfile, paved.render(RULES_YML, { service = name, owner = owner }))
  write(d .. "/services/" .. name .. ".json", paved.json.encode({
    service = name, owner = owner, metrics_path = args.metrics_path or "/metrics",
    health_path = args.health_path or "/health",
  }, true) .. "\n")
  paved.emit("monitoring.registered", { service = name, rules = rfile })
  return {
    summary = string.format("3 alert rules; Prometheus scrapes each running replica (%s)", d),
  }
end

local function targets(args)
  local name, env = check_name(args.service), check_env(args.env)
  if type(args.targets) ~= "table" then error("argument 'targets' must be a list", 0) end
  local d = dir()
  mkdirs(d)
  local m = meta(d, name)
  local file = d .. "/targets/" .. name .. "." .. env .. ".json"
  local out = paved.json.array{}
  for i, t in ipairs(args.targets) do
    if type(t.address) ~= "string" or not t.address:find("^[%w%.%-]+:%d+$") then
      error(string.format("targets[%d].address must be HOST:PORT, not '%s'", i - 1,
        tostring(t.address)), 0)
    end
    local labels = {
      service = name, env = env, owner = m.owner or "unowned",
      __metrics_path__ = m.metrics_path or "/metrics",
    }
    for k, v in pairs(t.labels or {}) do
      if type(k) ~= "string" or not k:find("^[%a_][%w_]*$") then
        error(string.format("targets[%d]: invalid label name '%s'", i - 1, tostring(k)), 0)
      end
      labels[k] = tostring(v)
    end
    out[#out + 1] = { targets = { t.address }, labels = labels }
  end
  if #out == 0 then
    paved.fs.remove(file)
  else
    write(file, paved.json.encode(out, true) .. "\n")
  end
  return { targets = #out, file = file }
end

local function unregister(args)
  local name = check_name(args.service)
  local d = dir()
  paved.fs.remove(d .. "/rules/" .. name .. ".yml")
  paved.fs.remove(d .. "/services/" .. name .. ".json")
  paved.fs.remove(d .. "/targets/" .. name .. ".json")   -- written by older versions
  for _, f in ipairs(paved.fs.list(d .. "/targets") or {}) do
    local svc = f:match("^([a-z][a-z0-9%-]*)%.[a-z][a-z0-9_%-]*%.json$")
    if svc == name then paved.fs.remove(d .. "/targets/" .. f) end
  end
  return { removed = name }
end

local function list()
  local d = dir()
  local out = paved.json.array{}
  local counts = {}
  for _, f in ipairs(paved.fs.list(d .. "/targets") or {}) do
    local svc = f:match("^([a-z][a-z0-9%-]*)%.[a-z][a-z0-9_%-]*%.json$")
    if svc then
      local t = paved.json.decode(paved.fs.read(d .. "/targets/" .. f) or "[]") or {}
      counts[svc] = (counts[svc] or 0) + #t
    end
  end
  for _, f in ipairs(paved.fs.list(d .. "/services") or {}) do
    local n = f:match("^(.*)%.json$")
    if n then
      out[#out + 1] = { service = n, owner = meta(d, n).owner, targets = counts[n] or 0 }
    end
  end
  return out
end

-- The directory the configuration names, for the descriptor's writes.
local function configured_dir()
  local d = paved.config("plugins.prometheus.dir")
  if type(d) ~= "string" or d == "" then d = paved.home() .. "/monitoring" end
  return d
end

return {
  name = "prometheus",
  version = "2.0.0",
  writes = { configured_dir() },   -- where its files go (the sandbox allows nothing else)
  summary = "the monitoring driver 'prometheus': alert rules and one scrape target per running replica",
  options = {
    { name = "dir", type = "string", default = "",
      description = "where to write prometheus.yml, rules/, services/ and targets/ (default $PAVED_HOME/monitoring)" },
    { name = "scrape_interval", type = "string", default = "15s",
      description = "scrape and rule evaluation interval in the generated prometheus.yml" },
  },
  init = function()
    paved.provide("monitoring.driver.prometheus.register", register)
    paved.provide("monitoring.driver.prometheus.unregister", unregister)
    paved.provide("monitoring.driver.prometheus.targets", targets)
    paved.provide("monitoring.driver.prometheus.list", list)
  end,
}
