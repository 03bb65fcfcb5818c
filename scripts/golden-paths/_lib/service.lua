-- service.lua: the steps every service golden path shares.
--
-- A recipe calls service.recipe{...} with what differs between languages
-- (summary, how to run and test) and gets back the recipe table: typed
-- params, steps with undo, and the closing summary.  Steps that need a
-- plugin call its hook; until that plugin is installed the step shows as
-- skipped with "no plugin provides '<hook>'".

local service = {}

-- A DNS label, the one name rule for services and teams: the forge, the
-- runtime, the resources and the catalog all accept it.
local NAME = "^[a-z][a-z0-9%-]*$"
local NOT_NAME = "%-$"
local NAME_HINT = "use lowercase letters, digits and '-', starting with a letter and not " ..
  "ending with '-'"

-- The skeleton's variables, derived from the declared params (see
-- SKELETON-VARS.md): each param by its name; for an enum, NAME_CHOICE is
-- true for the chosen value and has_NAME is true unless it is "none"
-- (database_postgres, has_database); forge_url is the repository's URL.
local function vars(ctx, declared)
  local v = { forge_url = ctx.forge_url }
  for _, p in ipairs(declared) do
    local value = ctx.params[p.name]
    v[p.name] = value
    if p.type == "enum" then
      for _, c in ipairs(p.choices) do v[p.name .. "_" .. c] = value == c end
      v["has_" .. p.name] = value ~= "none"
    end
  end
  -- an empty string must be falsy in sections ({{#system}}...{{/system}})
  for k, x in pairs(v) do if x == "" then v[k] = nil end end
  return v
end

local function forge_path(ctx)
  return ctx.home .. "/forge/" .. ctx.params.name .. ".git"
end

function service.recipe(spec)
  local declared
  local steps = {
    {
      title = "Generated service files",
      run = function(ctx)
        if paved.fs.exists(forge_path(ctx)) then
          error(string.format("service '%s' already exists in the forge (%s); choose another name",
            ctx.params.name, forge_path(ctx)), 0)
        end
        if paved.fs.exists(ctx.target) then
          error(ctx.target .. " already exists; choose another name or --dir", 0)
        end
        ctx.forge_url = "file://" .. forge_path(ctx)
        ctx.made_target = true   -- the intent, journalled before acting
        paved.checkpoint()
        local n = paved.render_tree(ctx.skeleton, ctx.target, vars(ctx, declared))
        ctx.out.dir = ctx.target
        return string.format("%d files in %s (template %s)", n, ctx.target, ctx.recipe)
      end,
      undo = function(ctx)
        if ctx.made_target then paved.fs.remove(ctx.target) end
      end,
    },
    {
      title = "Configured CI/CD pipeline",
      run = function(ctx)
        local found = {}
        for _, f in ipairs{".github/workflows/ci.yml", ".gitlab-ci.yml"} do
          if paved.fs.exists(ctx.target .. "/" .. f) ~= "file" then
            error("the template has no " .. f, 0)
          end
          found[#found + 1] = f
        end
        return "(" .. table.concat(found, ", ") .. ")"
      end,
    },
    {
      title = "Created repository",
      run = function(ctx)
        local r = paved.call("forge.create", {
          name = ctx.params.name, dir = ctx.target, description = ctx.params.description,
          message = "Initial commit from paved golden path " .. ctx.recipe,
        })
        ctx.out.repository = r.url
        ctx.repo_created = true
        return r.url
      end,
      undo = function(ctx)
        if ctx.repo_created then paved.call("forge.delete", { name = ctx.params.name }) end
      end,
    },
    {
      title = "Provisioned development database",
      when = function(ctx)
        return ctx.params.database ~= "none", "no database requested (--database none)"
      end,
      run = function(ctx)
        -- provision.resource matches the driver by (type, env) and keeps the
        -- URL in $PAVED_HOME/secrets; only its name and the variable that
        -- carries it (DATABASE_URL, REDIS_URL) come back: never the secret.
        local db = ctx.params.database
        local r = paved.call("provision.resource", {
          type = db, name = ctx.params.name .. "-dev", service = ctx.params.name, env = "dev",
        })
        ctx.out.database = {
          type = db, name = r.name, env_var = r.env_var, secret_file = r.secret_file,
          cost_per_month = r.cost_per_month,
        }
        ctx.db_created = r.changed
        return string.format('%s "%s"', db, r.name)
      end,
      undo = function(ctx)
        if ctx.db_created then
          paved.call("resources.destroy", { name = ctx.out.database.name, yes = true })
        end
      end,
    },
    {
      title = "Registered in catalog",
      run = function(ctx)
        -- the owner must be a catalog group, or "who owns this" has no answer
        local group = "group:default/" .. ctx.params.owner
        local ok = pcall(paved.call, "catalog.get", { ref = group })
        if not ok then
          paved.call("catalog.put", { entity = {
            apiVersion = "backstage.io/v1alpha1", kind = "Group",
            metadata = { name = ctx.params.owner,
                         description = "Created by paved for " .. ctx.params.name },
            spec = { type = "team", children = paved.json.array{} },
          } })
          ctx.group_created = group
        end
        paved.call("catalog.import", { paths = { ctx.target .. "/catalog-info.yaml" } })
        ctx.cataloged = true
        ctx.out.catalog_ref = "component:default/" .. ctx.params.name
        return "owner " .. ctx.params.owner .. (ctx.group_created and " (new group)" or "")
      end,
      undo = function(ctx)
        if ctx.cataloged then paved.call("catalog.delete", { ref = ctx.out.catalog_ref }) end
        if ctx.group_created then paved.call("catalog.delete", { ref = ctx.group_created }) end
      end,
    },
    {
      title = "Set up monitoring and alerting",
      run = function(ctx)
        -- no scrape target yet: the deploy points them at each running replica
        local r = paved.call("monitoring.register", {
          service = ctx.params.name, owner = ctx.params.owner, env = "dev",
          metrics_path = "/metrics", health_path = "/health", dir = ctx.target,
        })
        ctx.out.dashboard = r.dashboard
        ctx.monitored = true
        return r.summary or ""
      end,
      undo = function(ctx)
        if ctx.monitored then paved.call("monitoring.unregister", { service = ctx.params.name }) end
      end,
    },
    {
      title = "Deployed to development environment",
      when = function(ctx) return ctx.params.deploy, "not deployed (--no-deploy)" end,
      run = function(ctx)
        -- from the forge repository just created (its default branch's head);
        -- journaled first: a deploy that fails midway is undone too
        ctx.deploying = true
        paved.checkpoint()
        local r = paved.call("deploy.service", {
          service = ctx.params.name, env = "dev", trigger = "create",
        })
        ctx.out.url = r.url
        return r.url or ""
      end,
      undo = function(ctx)
        if ctx.deploying then paved.call("deploy.destroy", { service = ctx.params.name, env = "dev" }) end
      end,
    },
  }

  local function finish(ctx)
    local p, o = ctx.params, ctx.out
    paved.emit("service.created", {
      name = p.name, owner = p.owner, template = ctx.recipe, database = p.database,
      repository = o.repository, dir = o.dir, url = o.url,
    })
    local lines = {}
    local function add(fmt, ...) lines[#lines + 1] = string.format(fmt, ...) end
    if o.url then
      add("Your service is live at: %s", o.url)
    else
      add("Your service is ready in %s (not deployed: %s).", o.dir, p.deploy
          and "install a deploy plugin, then 'paved deploy " .. p.name .. " --env dev'"
          or "run 'paved deploy " .. p.name .. " --env dev' when you want it live")
    end
    add("")
    add("Next steps:")
    add("  1. Clone repository: git clone %s", o.repository or o.dir)
    add("  2. Start coding:     cd %s && %s", o.dir, spec.dev_cmd)
    add("  3. Run the tests:    %s", spec.test_cmd)
    add("  4. Deploy:           paved deploy %s --env production", p.name)
    add("")
    if o.database then
      add("Database: %s \"%s\"; its %s is in %s ('paved resources show %s --show-secrets')",
          o.database.type, o.database.name, o.database.env_var or "URL",
          o.database.secret_file or "$PAVED_HOME/secrets", o.database.name)
    end
    add("Documentation: %s/README.md", o.dir)
    add("Runbook: %s/README.md#runbook", o.dir)
    add("Dashboard: %s", o.dashboard or (o.url and (o.url .. "/metrics")) or
        string.format("http://127.0.0.1:%d/metrics once running", p.port))
    return table.concat(lines, "\n")
  end

  declared = {
    { name = "name", type = "string", required = true, pattern = NAME, not_pattern = NOT_NAME,
      hint = NAME_HINT, max_length = 63, description = "service name, a DNS label (payment-api)" },
    { name = "owner", type = "string", default = "team-default", pattern = NAME,
      not_pattern = NOT_NAME, hint = NAME_HINT, max_length = 63,
      description = "owning team: a catalog group name" },
    { name = "database", type = "enum", choices = { "none", "postgres", "redis" },
      default = "none", description = "development database to provision" },
    { name = "system", type = "string", default = "", pattern = "^[a-z0-9%-]*$",
      max_length = 63, description = "catalog system the service is part of (optional)" },
    { name = "description", type = "string", default = spec.default_description,
      pattern = "^[^\n\r]*$", max_length = 200, description = "one line about the service" },
    { name = "port", type = "int", default = 8080, min = 1, max = 65535,
      description = "port the service listens on by default" },
    { name = "deploy", type = "bool", default = true,
      description = "deploy to the development environment at the end" },
  }
  return {
    summary = spec.summary,
    params = declared,
    steps = steps,
    finish = finish,
  }
end

return service
