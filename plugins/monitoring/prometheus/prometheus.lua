-- prometheus: monitoring and alerting for new services, as Prometheus
-- configuration.  A provider written entirely in Lua.
--
-- monitoring.register {service=, owner=, port=, metrics_path=, health_path=}
--   writes $PAVED_HOME/monitoring/targets/SERVICE.json (file_sd scrape
--   target) and rules/SERVICE.yml (alert rules), and creates
--   monitoring/prometheus.yml that loads them, so
--   `prometheus --config.file=$PAVED_HOME/monitoring/prometheus.yml`
--   scrapes every service paved created.
-- monitoring.unregister {service=} removes both files.
-- monitoring.list {} lists registered services.

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

local PROMETHEUS_YML = [[
# Written by paved (plugin prometheus).  Each service paved creates adds a
# scrape target under targets/ and its alert rules under rules/.
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

local function register(args)
  local name = check_name(args.service)
  local owner = args.owner or "unowned"
  local port = math.tointeger(args.port) or 8080
  local d = dir()
  for _, sub in ipairs{ d, d .. "/targets", d .. "/rules" } do
    local ok, err = paved.fs.mkdir(sub)
    if not ok then error(err, 0) end
  end
  if not paved.fs.exists(d .. "/prometheus.yml") then
    local interval = paved.option("scrape_interval")
    assert(paved.fs.write(d .. "/prometheus.yml",
      paved.render(PROMETHEUS_YML, { dir = d, interval = interval })))
  end
  local target = { {
    targets = { "127.0.0.1:" .. port },
    labels = { service = name, owner = owner, __metrics_path__ = args.metrics_path or "/metrics" },
  } }
  local tfile, rfile = d .. "/targets/" .. name .. ".json", d .. "/rules/" .. name .. ".yml"
  assert(paved.fs.write(tfile, paved.json.encode(target, true) .. "\n"))
  assert(paved.fs.write(rfile, paved.render(RULES_YML, { service = name, owner = owner })))
  paved.emit("monitoring.registered", { service = name, target = tfile, rules = rfile })
  return {
    target = tfile, rules = rfile, alerts = 3,
    summary = string.format("Prometheus target 127.0.0.1:%d, 3 alert rules (%s)", port, d),
  }
end

local function unregister(args)
  local name = check_name(args.service)
  local d = dir()
  paved.fs.remove(d .. "/targets/" .. name .. ".json")
  paved.fs.remove(d .. "/rules/" .. name .. ".yml")
  return { removed = name }
end

local function list()
  local out = paved.json.array{}
  local files = paved.fs.list(dir() .. "/targets") or {}
  for _, f in ipairs(files) do
    local n = f:match("^(.*)%.json$")
    if n then out[#out + 1] = n end
  end
  return out
end

return {
  name = "prometheus",
  version = "1.0.0",
  summary = "monitoring and alerting for services as Prometheus scrape targets and alert rules",
  options = {
    { name = "dir", type = "string", default = "",
      description = "where to write prometheus.yml, targets/ and rules/ (default $PAVED_HOME/monitoring)" },
    { name = "scrape_interval", type = "string", default = "15s",
      description = "scrape and rule evaluation interval in the generated prometheus.yml" },
  },
  init = function()
    paved.provide("monitoring.register", register)
    paved.provide("monitoring.unregister", unregister)
    paved.provide("monitoring.list", list)
  end,
}
