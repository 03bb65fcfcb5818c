-- test-escape: the skeleton has a directory named {{dest}}; dest has no
-- pattern, so '..' passes validation and the renderer must refuse it.
return {
  summary = "test recipe: a template variable that escapes the target",
  params = {
    { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" },
    { name = "dest", type = "string", default = "docs" },
  },
  steps = {
    {
      title = "Generated files",
      run = function(ctx)
        return paved.render_tree(ctx.skeleton, ctx.target, ctx.params) .. " files"
      end,
      undo = function(ctx) paved.fs.remove(ctx.target) end,
    },
  },
}
