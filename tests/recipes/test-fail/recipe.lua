-- test-fail: steps 1 and 2 create files, step 3 fails; undo must remove them.
return {
  summary = "test recipe: step 3 fails after two steps created files",
  params = {
    { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" },
  },
  steps = {
    {
      title = "Created the directory",
      run = function(ctx)
        assert(paved.fs.mkdir(ctx.target))
        assert(paved.fs.write(ctx.target .. "/one.txt", "one\n"))
        return ctx.target
      end,
      undo = function(ctx) assert(paved.fs.remove(ctx.target)) end,
    },
    {
      title = "Wrote the second file",
      run = function(ctx)
        assert(paved.fs.write(ctx.target .. "/two.txt", "two\n"))
        return "two.txt"
      end,
      undo = function(ctx) assert(paved.fs.remove(ctx.target .. "/two.txt")) end,
    },
    {
      title = "Broke on purpose",
      run = function(ctx)
        error("the disk is full (simulated)", 0)
      end,
      undo = function(ctx) error("never called: this step did not complete") end,
    },
    {
      title = "Never reached",
      run = function(ctx) assert(paved.fs.write(ctx.target .. "/four.txt", "4")) end,
    },
  },
}
