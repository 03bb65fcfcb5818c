-- test-syntax: a Lua syntax error on line 6.
return {
  summary = "test recipe: syntax error",
  params = { { name = "name", type = "string", required = true } },
  steps = {
    { title = "Unreachable" run = function() end },
  },
}
