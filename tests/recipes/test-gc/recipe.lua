-- test-gc: finalizers that loop forever.  Lua runs __gc with hooks off,
-- out of reach of every limit: setmetatable refuses a __gc, a __gc added
-- after setmetatable is inert, and collectgarbage cannot stop the collector.
-- Before the sandbox refused them, "at-close" hung `paved new` after it
-- printed its last line, and "collect" hung in collectgarbage().
return {
  summary = "test recipe: finalizers that never return",
  params = {
    { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" },
    { name = "how", type = "enum", choices = { "at-close", "collect", "late", "stop" },
      default = "at-close" },
  },
  steps = {
    {
      title = "Created the directory",
      run = function(ctx) assert(paved.fs.mkdir(ctx.target)) end,
      undo = function(ctx) assert(paved.fs.remove(ctx.target)) end,
    },
    {
      title = "Left a finalizer behind",
      run = function(ctx)
        local how = ctx.params.how
        local forever = function() while true do end end
        if how == "at-close" then
          KEEP = setmetatable({}, { __gc = forever })   -- would run at close
        elseif how == "collect" then
          setmetatable({}, { __gc = forever })
          collectgarbage()
        elseif how == "late" then
          -- __gc added after setmetatable: Lua never finalizes the object
          local mt = {}
          KEEP = setmetatable({}, mt)
          mt.__gc = forever
          KEEP = nil
          collectgarbage()
          return "inert"
        else
          collectgarbage("stop")
        end
      end,
    },
  },
}
