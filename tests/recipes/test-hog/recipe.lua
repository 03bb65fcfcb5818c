-- test-hog: step 2 allocates without end.
return {
  summary = "test recipe: unbounded allocation",
  params = { { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" } },
  steps = {
    {
      title = "Created the directory",
      run = function(ctx) assert(paved.fs.mkdir(ctx.target)) end,
      undo = function(ctx) assert(paved.fs.remove(ctx.target)) end,
    },
    {
      title = "Allocated without end",
      run = function(ctx)
        local t = {}
        while true do t[#t + 1] = string.rep("x", 1000) .. #t end
      end,
    },
  },
}
