-- test-baddecl: requires must be a list of strings; opening it fails.
return {
  summary = "test recipe: a malformed declaration",
  requires = "git",
  params = { { name = "name", type = "string", required = true } },
  steps = { { title = "Unreachable", run = function() end } },
}
