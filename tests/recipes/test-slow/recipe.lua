-- test-slow: step 1 writes a file, step 2 waits for a program (so a test
-- can interrupt or kill paved while it runs), step 3 writes another file.
-- Each undo succeeds whether its step did nothing, part or all of its work.
return {
  summary = "test recipe: a slow middle step, for interrupting runs",
  requires = { "sleep" },
  params = {
    { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" },
    { name = "seconds", type = "int", default = 30, min = 0, max = 600 },
  },
  steps = {
    {
      title = "Wrote the first file",
      run = function(ctx)
        assert(paved.fs.mkdir(ctx.target))
        assert(paved.fs.write(ctx.target .. "/one.txt", "one\n"))
        return "one.txt"
      end,
      undo = function(ctx)
        -- only this step's file; the directory goes once it is empty, so a
        -- later step's leftovers make this undo fail loudly
        if paved.fs.exists(ctx.target .. "/one.txt") then
          assert(paved.fs.remove(ctx.target .. "/one.txt"))
        end
        if paved.fs.exists(ctx.target) then
          assert(#paved.fs.list(ctx.target) == 0, "the target is not empty: another undo missed")
          assert(paved.fs.remove(ctx.target))
        end
      end,
    },
    {
      title = "Waited",
      run = function(ctx)
        -- the intent, journalled before acting: the undo removes the marker
        -- even when paved is killed during the wait
        ctx.marker = ctx.target .. "/waiting"
        paved.checkpoint()
        assert(paved.fs.write(ctx.marker, "waiting\n"))
        local r = paved.run{ "sleep", tostring(ctx.params.seconds) }
        if r.code ~= 0 then error("sleep was stopped (exit " .. r.code .. ")", 0) end
        ctx.waited = true
        return ctx.params.seconds .. " s"
      end,
      undo = function(ctx)
        if ctx.marker and paved.fs.exists(ctx.marker) then
          assert(paved.fs.remove(ctx.marker))
        end
      end,
    },
    {
      title = "Wrote the second file",
      run = function(ctx)
        assert(ctx.waited, "the journal lost the ctx of step 2")
        assert(paved.fs.write(ctx.target .. "/two.txt", "two\n"))
        return "two.txt"
      end,
      undo = function(ctx)
        if paved.fs.exists(ctx.target .. "/two.txt") then
          assert(paved.fs.remove(ctx.target .. "/two.txt"))
        end
      end,
    },
  },
}
