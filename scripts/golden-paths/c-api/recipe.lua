-- c-api: a C11 HTTP service on libmicrohttpd, built with make.
local service = paved.import("service")

return service.recipe{
  summary = "C11 HTTP service on libmicrohttpd, built with make: /health, /metrics, tests, CI, Docker, catalog",
  default_description = "A C HTTP service created with paved",
  dev_cmd = "make run",
  test_cmd = "make test",
}
