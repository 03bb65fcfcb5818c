-- node-api: a Node.js 20 HTTP API with no npm dependencies.
local service = paved.import("service")

return service.recipe{
  summary = "Node.js 20 HTTP API (node:http, no dependencies): /health, /metrics, tests, CI, Docker, catalog",
  default_description = "A Node.js HTTP API created with paved",
  dev_cmd = "npm run dev",
  test_cmd = "npm test",
}
