-- fake-metrics: a stand-in for the observability plugin in the portal's
-- tests: metrics.red and metrics.query with made-up numbers, two versions
-- ("v1" and "v2") over the range asked, in Prometheus' matrix shape, so the
-- pages draw their RED graphs without a Prometheus.
local function matrix(args)
  local start, stop, step = args.start or 0, args["end"] or 0, args.step or 15
  local result = {}
  for i, version in ipairs({ "v1", "v2" }) do
    local values = {}
    local t = start
    while t <= stop do
      values[#values + 1] = { t, string.format("%.3f", i + math.sin(t / 60) * 0.5) }
      t = t + step
    end
    result[#result + 1] = { metric = { version = version }, values = values }
  end
  return { result_type = "matrix", result = result }
end

return {
  name = "fake-metrics",
  version = "1.0.0",
  summary = "made-up RED metrics for the portal's tests",
  init = function()
    paved.provide("metrics.red", function(args)
      return { requests_per_s = 12.5, error_rate = 0.02, latency_p50_ms = 4, latency_p99_ms = 35,
               window = args.window or 300 }
    end)
    paved.provide("metrics.query", matrix)
  end,
}
