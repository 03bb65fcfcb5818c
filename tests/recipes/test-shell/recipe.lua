-- test-shell: declares what it needs, a shell among them, so that
-- `paved recipes show` lists the declarations and warns about the shell.
return {
  summary = "test recipe: declares programs (a shell too), variables and a directory",
  requires = { "git", "sh" },
  env = { "HOME", "LANG" },
  reads = { "/usr/share" },
  params = { { name = "name", type = "string", required = true } },
  steps = {
    {
      title = "Ran the shell",
      run = function(ctx) return paved.run{ "sh", "-c", "echo declared" }.stdout end,
    },
  },
}
