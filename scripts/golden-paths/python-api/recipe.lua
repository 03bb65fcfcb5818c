-- python-api: a Python 3.11 HTTP API on the standard library only.
local service = paved.import("service")

return service.recipe{
  summary = "Python 3.11 HTTP API (http.server, no pip packages): /health, /metrics, tests, CI, Docker, catalog",
  default_description = "A Python HTTP API created with paved",
  dev_cmd = "python3 -m app",
  test_cmd = "python3 -m unittest discover -s tests -v",
}
