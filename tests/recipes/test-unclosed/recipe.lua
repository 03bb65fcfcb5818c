-- test-unclosed: the skeleton's README.md has an unclosed tag.
return {
  summary = "test recipe: a skeleton with an unclosed tag",
  params = { { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" } },
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
