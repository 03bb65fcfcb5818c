-- test-confine: a step that reaches for what a recipe may not: the
-- campaign's findings (read /etc/shadow, write outside the target, remove
-- any path, run sh -c) and their variants.  Each `how` must fail with the
-- confinement's error, and the completed step be undone.
local function reach(ctx)
  local how, t = ctx.params.how, ctx.target
  if how == "read" then return paved.fs.read("/etc/shadow")
  elseif how == "read-dotdot" then return paved.fs.read(t .. "/../../../../../../etc/passwd")
  elseif how == "write" then return paved.fs.write(t .. "/../escaped.txt", "x")
  elseif how == "remove" then return paved.fs.remove(paved.home())
  elseif how == "mkdir" then return paved.fs.mkdir(paved.home() .. "/planted")
  elseif how == "symlink" then   -- the test makes TARGET/out -> a directory outside
    return paved.fs.write(t .. "/out/planted.txt", "x")
  elseif how == "own-files" then return paved.fs.write(ctx.recipe_dir .. "/recipe.lua", "")
  elseif how == "sh" then return paved.run{ "sh", "-c", "id" }
  elseif how == "abs" then return paved.run{ "/bin/sh", "-c", "id" }
  elseif how == "getenv" then return assert(os.getenv("HOME") == nil and "HOME is nil")
  elseif how == "fine" then   -- everything a recipe may do
    assert(paved.fs.write(t .. "/a.txt", "a"))
    assert(paved.fs.read(t .. "/a.txt") == "a")
    assert(paved.fs.read(ctx.recipe_dir .. "/recipe.lua"))
    local d = assert(paved.fs.tmpdir())
    assert(paved.fs.write(d .. "/scratch", "s"))
    assert(paved.fs.remove(d))
    assert(paved.run{ "true" }.code == 0)
    assert(os.getenv("PAVED_TEST_DECLARED") == "yes")
    return "fine"
  end
end

return {
  summary = "test recipe: reaches outside its confinement",
  requires = { "true" },
  env = { "PAVED_TEST_DECLARED" },
  params = {
    { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" },
    { name = "how", type = "enum", default = "fine", choices = {
      "read", "read-dotdot", "write", "remove", "mkdir", "symlink", "own-files", "sh", "abs",
      "getenv", "fine" } },
  },
  steps = {
    {
      title = "Created the directory",
      run = function(ctx)   -- the "symlink" test made it already, with a link inside
        if not paved.fs.exists(ctx.target) then assert(paved.fs.mkdir(ctx.target)) end
      end,
      undo = function(ctx) assert(paved.fs.remove(ctx.target)) end,
    },
    { title = "Reached out", run = reach },
  },
}
