-- test-limits: a step that keeps C code busy, where no instruction count
-- can see it.  Each `how` hung or ran for minutes before the sandbox
-- bounded it; each must now fail with its limit's error (the test sets
-- lua.max_seconds low) and be undone.
local function forever_in_c(ctx)
  local how = ctx.params.how
  if how == "pattern" then          -- ~30 s of backtracking in stock Lua
    return string.find(string.rep("a", 40), string.rep("a*", 9) .. "b")
  elseif how == "move" then         -- 2^62 elements moved in C
    return table.move({}, 1, math.maxinteger // 2, 2)
  elseif how == "insert" then       -- a __len that lies
    local t = setmetatable({}, { __len = function() return math.maxinteger // 2 end })
    return table.insert(t, 1, "x")
  elseif how == "concat" then
    local t = setmetatable({}, { __index = function() return "" end,
                                 __len = function() return math.maxinteger // 2 end })
    return table.concat(t)
  elseif how == "utf8" then         -- bounded calls, called without end
    local s = string.rep("\u{20AC}", 1 << 20)
    while true do utf8.len(s) end
  elseif how == "rep" then
    return string.rep("x", 1 << 40)
  elseif how == "json" then         -- 2^40 nodes once shared tables are expanded
    local t = {}
    for _ = 1, 40 do t = { t, t } end
    return paved.json.encode(t)
  elseif how == "render" then       -- 100^8 section bodies
    local list = {}
    for i = 1, 100 do list[i] = i end
    local tpl = string.rep("{{#l}}", 8) .. "x" .. string.rep("{{/l}}", 8)
    return paved.render(tpl, { l = list })
  end
  while true do end                 -- "loop": the wall clock, not the count
end

return {
  summary = "test recipe: C functions that would run without end",
  params = {
    { name = "name", type = "string", required = true, pattern = "^[a-z][a-z0-9%-]*$" },
    { name = "how", type = "enum", default = "loop", choices = {
      "pattern", "move", "insert", "concat", "utf8", "rep", "json", "render", "loop" } },
  },
  steps = {
    {
      title = "Created the directory",
      run = function(ctx) assert(paved.fs.mkdir(ctx.target)) end,
      undo = function(ctx) assert(paved.fs.remove(ctx.target)) end,
    },
    { title = "Kept C busy", run = forever_in_c },
  },
}
