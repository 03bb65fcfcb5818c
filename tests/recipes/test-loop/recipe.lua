-- test-loop: step 2 loops forever, even trying to swallow the error.
return {
  summary = "test recipe: an endless loop",
  params = { { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" } },
  steps = {
    {
      title = "Created the directory",
      run = function(ctx) assert(paved.fs.mkdir(ctx.target)) end,
      undo = function(ctx) assert(paved.fs.remove(ctx.target)) end,
    },
    {
      title = "Looped forever",
      run = function(ctx)
        while true do
          pcall(function() while true do end end)
        end
      end,
    },
  },
}
