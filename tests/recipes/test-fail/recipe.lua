-- test-fail: steps 1 and 2 create files, step 3 fails half way; undo must remove
-- everything, step 3's partial file included.
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
        -- fails half way: what it made before failing is its undo's to remove
        assert(paved.fs.write(ctx.target .. "/three.partial", "3"))
        error("the disk is full (simulated)", 0)
      end,
      undo = function(ctx)
        if paved.fs.exists(ctx.target .. "/three.partial") then
          assert(paved.fs.remove(ctx.target .. "/three.partial"))
        end
      end,
    },
    {
      title = "Never reached",
      run = function(ctx) assert(paved.fs.write(ctx.target .. "/four.txt", "4")) end,
    },
  },
}
