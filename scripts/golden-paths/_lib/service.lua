-- service.lua: the steps every service golden path shares.
--
-- A recipe calls service.recipe{...} with what differs between languages
-- (summary, how to run and test) and gets back the recipe table: typed
-- params, steps with undo, and the closing summary.
--
-- Declared once: each entry of PARAMS is a parameter the runner validates,
-- an option of `paved create service` (its name with '-' for '_'; a switch
-- that is on by default is offered as --no-NAME), a line of `paved recipes
-- show`, and a template variable of the skeleton (see vars below).
--
-- Every step talks to the platform through the area fronts (forge.*,
-- provision.*, catalog.*, monitoring.*, deploy.*), so the configured drivers
-- do the work.  A step records what it is about to make in ctx and calls
-- paved.checkpoint() before acting, so its undo removes exactly what this
-- run made -- also after paved was killed mid-step ('paved runs undo').
-- Until a plugin provides a step's hook, the step shows as skipped.

local service = {}

-- A DNS label: the one name rule for services (the forge, the runtime, the
-- catalog and the resources all accept it).
local NAME = "^[a-z][a-z0-9%-]*$"
local NOT_NAME = "%-$"
local NAME_HINT = "use lowercase letters, digits and '-', starting with a letter and not " ..
  "ending with '-'"

local function params(spec)
  return {
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
end

-- The skeleton's variables, derived from the declared params: each param
-- by its name; for an enum, NAME_CHOICE is true for the chosen value and
-- has_NAME is true unless it is "none" (database_postgres, has_database);
-- forge_url is the repository's URL.  SKELETON-VARS.md lists them.
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

-- Call HOOK, but a missing thing is fine: for undos, whose thing may never
-- have been made.  Any other error is raised.
local function call_if_there(hook, args, missing)
  local ok, e = pcall(paved.call, hook, args)
  if ok or (type(e) == "table" and e.message and e.message:find(missing, 1, true)) then
    return
  end
  error(e, 0)
end

local function exists(hook, args)
  local ok, e = pcall(paved.call, hook, args)
  if ok then return true end
  if type(e) == "table" and e.code == "nohook" then error(e, 0) end
  return false
end

function service.recipe(spec)
  local declared = params(spec)
  local steps = {
    {
      title = "Generated service files",
      run = function(ctx)
        local name = ctx.params.name
        if exists("forge.info", { name = name }) then
          error(string.format("service '%s' already exists in the forge; choose another " ..
            "name ('paved delete service %s' removes it)", name, name), 0)
        end
        if paved.fs.exists(ctx.target) then
          error(ctx.target .. " already exists; choose another name or --dir", 0)
        end
        ctx.forge_url = paved.call("forge.url", { name = name }).url
        ctx.made_target = true
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
        for _, f in ipairs{ ".github/workflows/ci.yml", ".gitlab-ci.yml" } do
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
        ctx.made_repo = true
        paved.checkpoint()
        local r = paved.call("forge.create", {
          name = ctx.params.name, dir = ctx.target, description = ctx.params.description,
          message = "Initial commit from paved golden path " .. ctx.recipe,
        })
        ctx.out.repository = r.url
        return r.url
      end,
      undo = function(ctx)
        if ctx.made_repo then
          call_if_there("forge.delete", { name = ctx.params.name }, "no repository")
        end
      end,
    },
    {
      title = "Provisioned development database",
      when = function(ctx)
        return ctx.params.database ~= "none", "no database requested (--database none)"
      end,
      run = function(ctx)
        -- platform.yaml declares the resources; apply provisions exactly
        -- what the replicas will use (${resources.db.url}).  Resources that
        -- exist before this run are not this run's to undo.
        local before = {}
        for _, r in ipairs(paved.call("provision.list", {})) do before[r.name] = true end
        ctx.resources_before = before
        ctx.made_resources = true
        paved.checkpoint()
        local r = paved.call("provision.apply", {
          dir = ctx.target, env = "dev", owner = ctx.params.owner,
        })
        local names = {}
        for _, res in ipairs(r.resources or {}) do
          names[#names + 1] = string.format('%s "%s"', res.type, res.name)
          ctx.out.database = ctx.out.database or {
            type = res.type, name = res.name, env_var = res.env_var,
            secret_file = res.secret_file, cost_per_month = res.cost_per_month,
          }
        end
        return table.concat(names, ", ")
      end,
      undo = function(ctx)
        if not ctx.made_resources then return end
        -- the names apply gives platform.yaml's resources (SERVICE-KEY-ENV),
        -- recorded or only journalled (an apply killed mid-create): destroy
        -- finishes or rolls back either; the ones that were there before
        -- this run are not its to destroy
        local p = paved.call("platform.read", { dir = ctx.target, env = "dev" })
        for key in pairs(p.resources or {}) do
          local name = ctx.params.name .. "-" .. key .. "-dev"
          if not (ctx.resources_before or {})[name] then
            call_if_there("resources.destroy", { name = name, yes = true }, "no resource")
          end
        end
      end,
    },
    {
      title = "Registered in catalog",
      run = function(ctx)
        local name = ctx.params.name
        local ref = "component:default/" .. name
        -- an entity this run did not make is never replaced (nor removed
        -- by the undo): refuse instead
        if exists("catalog.get", { ref = ref }) then
          error(string.format("the catalog already has %s; choose another name, or " ..
            "remove that entity ('paved catalog delete %s')", ref, ref), 0)
        end
        -- the owner must be a catalog group, or "who owns this" has no answer
        local group = "group:default/" .. ctx.params.owner
        if not exists("catalog.get", { ref = group }) then
          ctx.made_group = group
          paved.checkpoint()
          paved.call("catalog.put", { entity = {
            apiVersion = "backstage.io/v1alpha1", kind = "Group",
            metadata = { name = ctx.params.owner,
                         description = "Created by paved for " .. name },
            spec = { type = "team", children = paved.json.array{} },
          } })
        end
        ctx.made_entity = ref
        paved.checkpoint()
        paved.call("catalog.import", { paths = { ctx.target .. "/catalog-info.yaml" } })
        ctx.out.catalog_ref = ref
        return "owner " .. ctx.params.owner .. (ctx.made_group and " (new group)" or "")
      end,
      undo = function(ctx)
        if ctx.made_entity then
          call_if_there("catalog.delete", { ref = ctx.made_entity }, "no entity")
        end
        if ctx.made_group then
          call_if_there("catalog.delete", { ref = ctx.made_group }, "no entity")
        end
      end,
    },
    {
      title = "Set up monitoring and alerting",
      run = function(ctx)
        local p = paved.call("platform.read", { dir = ctx.target, env = "dev" })
        ctx.made_monitoring = true
        paved.checkpoint()
        local r = paved.call("monitoring.register", {
          service = ctx.params.name, owner = ctx.params.owner, env = "dev", dir = ctx.target,
          metrics_path = "/metrics", health_path = p.deploy and p.deploy.health or "/health",
          slo = p.slo,
        })
        ctx.out.dashboard = r.dashboard
        return r.summary or ""
      end,
      undo = function(ctx)
        if ctx.made_monitoring then
          call_if_there("monitoring.unregister", { service = ctx.params.name }, "not monitored")
        end
      end,
    },
    {
      title = "Deployed to development environment",
      when = function(ctx) return ctx.params.deploy, "not deployed (--no-deploy)" end,
      run = function(ctx)
        ctx.made_deploy = true
        paved.checkpoint()
        -- from the repository's default branch, as every later deploy
        local r = paved.call("deploy.service", {
          service = ctx.params.name, env = "dev", trigger = "create",
        })
        ctx.out.url = r.url
        ctx.out.version = r.version
        return r.url or ""
      end,
      undo = function(ctx)
        if ctx.made_deploy then
          call_if_there("deploy.destroy", { service = ctx.params.name, env = "dev" }, "no service")
        end
      end,
    },
  }

  -- What the developer does next.  Every line is a command that works as
  -- printed (tests/e2e run each of them).
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
      add("Your service is ready in %s (not deployed: run 'paved deploy %s --env dev' " ..
          "when you want it live).", o.dir, p.name)
    end
    add("")
    add("Next steps:")
    add("  1. Clone the repository:  git clone %s", o.repository or o.dir)
    add("  2. Run the tests:         cd %s && %s", p.name, spec.test_cmd)
    add("  3. Ship a change:         git commit -am 'Change' && git push   (deploys to dev)")
    add("  4. Watch it:              paved status %s; paved logs %s --tail 20", p.name, p.name)
    add("  5. See its releases:      paved releases %s", p.name)
    add("  6. Roll back:             paved rollback %s", p.name)
    if o.database then
      -- production's resources come first (Terraform plans them)
      add("  7. Plan production:       paved apply %s --env production", o.dir)
    else
      add("  7. Deploy to production:  paved deploy %s --env production", p.name)
    end
    add("")
    add("Run it locally: cd %s && %s", o.dir, spec.dev_cmd)
    if o.database then
      add("Database: %s \"%s\"; its %s: 'paved resources show %s --show-secrets'",
          o.database.type, o.database.name, o.database.env_var or "URL", o.database.name)
    end
    add("Documentation: %s/README.md (runbook: its Runbook section)", o.dir)
    if o.dashboard then add("Dashboard: %s", o.dashboard) end
    return table.concat(lines, "\n")
  end

  return {
    summary = spec.summary,
    params = declared,
    steps = steps,
    finish = finish,
  }
end

return service
