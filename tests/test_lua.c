/* test_lua.c - Check suite for the embedded Lua runtime (host/lua_*.c):
 * the sandbox, its memory, instruction and time limits (finalizers and C
 * functions included), error reporting, the `paved` module (run, json, fs,
 * render), the confinement of paved.fs, paved.run and os.getenv, and Lua
 * plugins.  The regression tests of issue 12 (items 6 and 7) run the test
 * recipes of tests/recipes through the recipe.run hook; each hung, ran for
 * minutes or reached outside its target before.
 *
 * Every test opens a host on a fresh temporary PAVED_HOME.  paved.run
 * starts /bin/sh here only as a convenient test program (declared).  The
 * tcases have timeouts, so a limit that stops holding fails a test instead
 * of hanging the suite.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lua_rt.h"
#include "luatest.h"
#include "proc.h"

/* ---- the sandbox -------------------------------------------------------- */

static const char *const unreachable[] = {
	"os.execute", "io", "io and io.popen", "package", "package and package.loadlib",
	"debug", "dofile", "loadfile", "require", "os.exit", "os.remove", "os.rename",
	"os.tmpname",
};

START_TEST(sandbox_unreachable)
{
	char code[128];
	snprintf(code, sizeof code, "return type(%s)", unreachable[_i]);
	char *got = lt_run_str(code);
	ck_assert_msg(strcmp(got, "nil") == 0, "%s is reachable (%s)", unreachable[_i], got);
	free(got);
}
END_TEST

START_TEST(sandbox_safe_libs_present)
{
	ck_assert_lua_str("return type(string.format) .. type(table.concat) .. type(math.floor)"
	                  " .. type(utf8.char) .. type(coroutine.wrap) .. type(os.time)"
	                  " .. type(os.clock) .. type(os.getenv) .. type(paved.run)",
	                  "functionfunctionfunctionfunctionfunctionfunctionfunctionfunctionfunction");
	ck_assert_lua_str("return load('return 6 * 7')() .. ''", "42");
	ck_assert_lua_str("local env = {x = 5}; return load('return x', 'chunk', 't', env)() .. ''",
	                  "5");
}
END_TEST

START_TEST(sandbox_no_binary_chunks)
{
	/* string.dump exists; what it produces must not load */
	ck_assert_lua_str("return type(string.dump)", "function");
	char *got = lt_run_str("local f, e = load(string.dump(function() return 1 end))\n"
	                    "return tostring(f) .. ' ' .. tostring(e)");
	ck_assert_msg(strncmp(got, "nil ", 4) == 0, "binary chunk loaded: %s", got);
	ck_assert_msg(strstr(got, "attempt to load a binary chunk") != NULL, "%s", got);
	free(got);
	/* asking for mode "b" explicitly changes nothing */
	got = lt_run_str("local f, e = load(string.dump(function() return 1 end), 'x', 'b')\n"
	              "return tostring(f) .. ' ' .. tostring(e)");
	ck_assert_msg(strstr(got, "attempt to load a binary chunk") != NULL, "%s", got);
	free(got);
	/* nor through a reader function */
	got = lt_run_str("local s = string.dump(function() return 1 end)\n"
	              "local f, e = load(function() local r = s; s = nil; return r end)\n"
	              "return tostring(f) .. ' ' .. tostring(e)");
	ck_assert_msg(strstr(got, "attempt to load a binary chunk") != NULL, "%s", got);
	free(got);
}
END_TEST

START_TEST(limit_memory)
{
	static const char *const sets[] = { "lua.max_memory_mb=8" };
	lt_use_limits(sets, 1);
	char *err = lt_run_err("local t = {} while true do t[#t+1] = string.rep('x', 1000) end");
	ck_assert_str_eq(err, "memory limit of 8 MiB exceeded (lua.max_memory_mb)");
	free(err);
	/* the state recovers: undo steps can still run */
	ck_assert_lua_str("return 'still ' .. 'alive'", "still alive");
}
END_TEST

START_TEST(limit_memory_default)
{
	struct pv_lua_limits l = pv_lua_limits_from_config(lt_host);
	ck_assert_uint_eq(l.max_bytes, 64u << 20);
	ck_assert_int_eq(l.max_instructions, 50000000LL);
}
END_TEST

START_TEST(limit_instructions)
{
	static const char *const sets[] = { "lua.max_instructions=200000" };
	lt_use_limits(sets, 1);
	char *err = lt_run_err("while true do end");
	ck_assert_msg(strstr(err, "instruction limit of 200000 exceeded (lua.max_instructions)"),
	              "%s", err);
	free(err);
	ck_assert_lua_str("return 'recovered'", "recovered");
}
END_TEST

/* Ways a script might try to swallow the kill: all must still fail. */
static const char *const swallow[] = {
	"pcall(function() while true do end end) return 'swallowed'",
	"for i = 1, 3 do pcall(function() while true do end end) end return 'swallowed'",
	"while true do pcall(function() while true do end end) end",
	"local ok = pcall(function() while true do end end)\n"
	"if not ok then return 'swallowed' end",
	"local co = coroutine.create(function() while true do end end)\n"
	"coroutine.resume(co) return 'swallowed'",
	"pcall(coroutine.wrap(function() while true do end end)) return 'swallowed'",
};

START_TEST(limit_instructions_not_swallowed)
{
	static const char *const sets[] = { "lua.max_instructions=200000" };
	lt_use_limits(sets, 1);
	char *err = lt_run_err(swallow[_i]);
	ck_assert_msg(strstr(err, "instruction limit of 200000 exceeded"), "%s:\n%s",
	              swallow[_i], err);
	free(err);
	/* and the next call starts afresh */
	ck_assert_lua_str("local n = 0 for i = 1, 1000 do n = n + i end return tostring(n)",
	                  "500500");
}
END_TEST

START_TEST(errors_have_file_line_and_traceback)
{
	char file[PATH_MAX + 16], *err = NULL;
	snprintf(file, sizeof file, "%s/boom.lua", lt_tmp);
	lt_write_text(file, "local function inner()\n"
	                 "  error('boom')\n"
	                 "end\n"
	                 "local function outer() inner() end\n"
	                 "outer()\n");
	ck_assert_int_eq(pv_lua_dofile(lt_x, file, 0, &err), PAVED_ERR);
	ck_assert_msg(strstr(err, "boom.lua:2: boom") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "stack traceback:") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "boom.lua:4:") != NULL, "no caller in traceback: %s", err);
	free(err);
	/* a syntax error names file and line too */
	snprintf(file, sizeof file, "%s/syntax.lua", lt_tmp);
	lt_write_text(file, "local x = 1\nlocal y = = 2\n");
	err = NULL;
	ck_assert_int_eq(pv_lua_dofile(lt_x, file, 0, &err), PAVED_ERR);
	ck_assert_msg(strstr(err, "syntax.lua:2:") != NULL, "%s", err);
	free(err);
	/* runtime errors in a chunk string */
	err = lt_run_err("local t = nil\nreturn t.x");
	ck_assert_msg(strstr(err, "test:2: attempt to index a nil value") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "stack traceback:") != NULL, "%s", err);
	free(err);
}
END_TEST

/* ---- paved.run ---------------------------------------------------------- */

START_TEST(run_captures_output_and_code)
{
	ck_assert_lua_str("local r = paved.run{'sh', '-c', 'echo hi; echo err >&2; exit 3'}\n"
	                  "return string.format('%d|%s|%s|%s', r.code, r.stdout, r.stderr,"
	                  " tostring(r.timed_out))",
	                  "3|hi\n|err\n|false");
	/* no shell: a command line is one program name, which is not declared */
	char *err = lt_run_err("paved.run{'echo hi; touch /tmp/x'}");
	ck_assert_msg(strstr(err, "test:1: paved.run: 'echo hi; touch /tmp/x' is not declared")
	              != NULL, "%s", err);
	free(err);
	/* stdin */
	ck_assert_lua_str("return paved.run{'cat', stdin = 'fed\\n'}.stdout", "fed\n");
}
END_TEST

START_TEST(run_cwd_and_env)
{
	char real[PATH_MAX], code[PATH_MAX + 200];
	ck_assert_ptr_nonnull(realpath(lt_tmp, real));
	snprintf(code, sizeof code, "return paved.run{'sh', '-c', 'pwd -P', cwd = '%s'}.stdout",
	         lt_tmp);
	char *got = lt_run_str(code);
	char want[PATH_MAX + 2];
	snprintf(want, sizeof want, "%s\n", real);
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert_lua_str("return paved.run{'sh', '-c', 'printf %s \"$PV_T1-$PV_T2\"',"
	                  " env = {PV_T1 = 'one', PV_T2 = 'two'}}.stdout", "one-two");
	/* a cwd that does not exist is a clear error */
	lua_pushstring(lt_x->L, lt_tmp);
	lua_setglobal(lt_x->L, "TMP");
	char *err = lt_run_err("paved.run{'true', cwd = TMP .. '/nonexistent'}");
	ck_assert_msg(strstr(err, "/nonexistent: No such file or directory") &&
	              strstr(err, "cannot run /") && strstr(err, "/true in /"), "%s", err);
	free(err);
	/* and a cwd outside the confinement is refused before anything runs */
	err = lt_run_err("paved.run{'true', cwd = '/nonexistent/dir'}");
	ck_assert_msg(strstr(err, "test:1: paved.run: '/nonexistent/dir' is outside what test code "
	                     "may read") != NULL, "%s", err);
	free(err);
}
END_TEST

START_TEST(run_timeout)
{
	double t0 = lt_now();
	ck_assert_lua_str("local r = paved.run{'sleep', '5', timeout = 0.2}\n"
	                  "return tostring(r.timed_out)", "true");
	double took = lt_now() - t0;
	ck_assert_msg(took < 2.0, "timeout=0.2 took %.2fs", took);
	/* the whole process group goes, not only the direct child */
	t0 = lt_now();
	ck_assert_lua_str("return tostring(paved.run{'sh', '-c', 'sleep 5; echo late',"
	                  " timeout = 0.2}.timed_out)", "true");
	took = lt_now() - t0;
	ck_assert_msg(took < 2.0, "took %.2fs", took);
}
END_TEST

START_TEST(run_missing_program)
{
	char *err = lt_run_err("paved.run{'nosuch'}");
	ck_assert_msg(strncmp(err, "test:1: cannot run nosuch: No such file or directory (not found "
	                      "in the absolute directories of PATH)", 96) == 0, "%s", err);
	free(err);
	err = lt_run_err("paved.run{}");
	ck_assert_msg(strstr(err, "paved.run: argv is empty") != NULL, "%s", err);
	free(err);
	err = lt_run_err("paved.run{'true', {}}");
	ck_assert_msg(strstr(err, "paved.run: argv[2] must be a string, not table") != NULL, "%s",
	              err);
	free(err);
	err = lt_run_err("paved.run{'true', env = {1, 2}}");
	ck_assert_msg(strstr(err, "paved.run: env must map names to strings") != NULL, "%s", err);
	free(err);
	/* numbers are arguments too */
	ck_assert_lua_str("return paved.run{'echo', 42, 1.5}.stdout", "42 1.5\n");
}
END_TEST

/* ---- paved.json --------------------------------------------------------- */

START_TEST(json_round_trip)
{
	static const char *const docs[] = {
		"{\"a\":[1,[2,3,[]],{\"b\":null,\"c\":[{}]}],\"s\":\"x\\u00e9\\\"\",\"t\":true,"
		"\"f\":false,\"r\":1.5,\"n\":null,\"e\":{}}",
		"[null,1,\"two\",[3],{\"four\":4}]",
		"[]", "{}", "\"text\"", "42", "null",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		lua_State *L = lt_x->L;
		lua_pushstring(L, docs[i]);
		lua_setglobal(L, "DOC");
		char *got = lt_run_str("return paved.json.encode(paved.json.decode(DOC))");
		json_error_t e;
		json_t *want = json_loads(docs[i], JSON_DECODE_ANY, &e);
		json_t *back = json_loads(got, JSON_DECODE_ANY, &e);
		ck_assert_msg(back && json_equal(want, back), "%s\nbecame %s", docs[i], got);
		json_decref(want);
		json_decref(back);
		free(got);
	}
	/* null is a distinct value, not nil: it keeps its place in arrays */
	ck_assert_lua_str("local v = paved.json.decode('[1,null,3]')\n"
	                  "return #v .. tostring(v[2] == paved.json.null)", "3true");
	ck_assert_lua_str("return paved.json.encode({})", "{}");
	ck_assert_lua_str("return paved.json.encode(paved.json.array())", "[]");
	ck_assert_lua_str("return paved.json.encode({1, 2, {x = 'y'}})", "[1,2,{\"x\":\"y\"}]");
	char *err = lt_run_err("paved.json.decode('{\"a\":')");
	ck_assert_msg(strstr(err, "invalid JSON at 1:") != NULL, "%s", err);
	free(err);
	err = lt_run_err("paved.json.encode({[true] = 1})");
	ck_assert_msg(strstr(err, "non-string key") != NULL, "%s", err);
	free(err);
	err = lt_run_err("local t = {} t.t = t paved.json.encode(t)");
	ck_assert_msg(strstr(err, "nested too deep (or cyclic)") != NULL, "%s", err);
	free(err);
}
END_TEST

/* ---- paved.fs ----------------------------------------------------------- */

START_TEST(fs_helpers)
{
	lua_pushstring(lt_x->L, lt_tmp);
	lua_setglobal(lt_x->L, "TMP");
	ck_assert_lua_str(
		"local d = TMP .. '/a/b/c'\n"
		"assert(paved.fs.mkdir(d))\n"
		"assert(paved.fs.mkdir(d))  -- mkdir -p: existing is fine\n"
		"assert(paved.fs.write(d .. '/f.txt', 'hello\\0world'))\n"
		"assert(paved.fs.write(d .. '/f.txt', 'replaced'))\n"
		"assert(paved.fs.write(d .. '/e.txt', ''))\n"
		"local out = {}\n"
		"out[#out+1] = paved.fs.read(d .. '/f.txt')\n"
		"out[#out+1] = paved.fs.exists(d) .. paved.fs.exists(d .. '/f.txt')\n"
		"out[#out+1] = tostring(paved.fs.exists(d .. '/nope'))\n"
		"out[#out+1] = table.concat(paved.fs.list(d), ',')\n"
		"local r, e = paved.fs.read(d .. '/nope')\n"
		"out[#out+1] = tostring(r) .. ':' .. tostring(e ~= nil)\n"
		"assert(paved.fs.remove(TMP .. '/a'))\n"
		"assert(paved.fs.remove(TMP .. '/a'))  -- already gone is fine\n"
		"out[#out+1] = tostring(paved.fs.exists(TMP .. '/a'))\n"
		"local t = assert(paved.fs.tmpdir())\n"
		"out[#out+1] = paved.fs.exists(t)\n"
		"assert(paved.fs.remove(t))\n"
		"return table.concat(out, '|')",
		"replaced|dirfile|nil|e.txt,f.txt|nil:true|nil|dir");
	ck_assert_lua_str("local d = TMP .. '/bin'\n"
	                  "paved.fs.mkdir(d) paved.fs.write(d .. '/b', 'a\\0b')\n"
	                  "return #paved.fs.read(d .. '/b') .. ''", "3");
	ck_assert_lua_str("local ok, e = paved.fs.list(TMP .. '/missing')\n"
	                  "local i, j = e:find(TMP, 1, true)\n"
	                  "return tostring(ok) .. ' ' .. e:sub(1, i - 1) .. 'TMP' .. e:sub(j + 1)",
	                  "nil cannot list TMP/missing: No such file or directory");
}
END_TEST

/* ---- paved.render ------------------------------------------------------- */

START_TEST(render_template)
{
	ck_assert_lua_str("return paved.render('Hi {{name}}{{#items}} [{{.}}]{{/items}}"
	                  "{{^none}}!{{/none}} {{{raw}}}', {name = '<ada>', items = {'a', 'b'},"
	                  " raw = '<b>'})",
	                  "Hi &lt;ada&gt; [a] [b]! <b>");
	ck_assert_lua_str("return paved.render('{{#db}}uses {{db.type}}{{/db}}', "
	                  "{db = {type = 'postgres'}})", "uses postgres");
	ck_assert_lua_str("return paved.render('plain')", "plain");
	char *err = lt_run_err("paved.render('line\\n{{#open}} never closed')");
	ck_assert_msg(strstr(err, "template 2:1: unclosed section 'open'") != NULL, "%s", err);
	free(err);
}
END_TEST

/* ---- Lua plugins -------------------------------------------------------- */

static const char greeter_lua[] =
	"-- a provider written in Lua\n"
	"return {\n"
	"  name = 'greeter', version = '1.2.3', summary = 'greets in Lua',\n"
	"  options = { { name = 'greeting', type = 'string', default = 'hello' } },\n"
	"  init = function()\n"
	"    paved.provide('demo.greet', function(args)\n"
	"      if not args.name then error('name is required', 0) end\n"
	"      return { greeting = paved.option('greeting') .. ', ' .. args.name,\n"
	"               list = { 1, 2 } }\n"
	"    end)\n"
	"    -- fails with a result beside its error (ABI 2)\n"
	"    paved.provide('demo.rollout', function(args)\n"
	"      error({ message = 'replica r2 never became healthy',\n"
	"              result = { outcome = 'rolled_back' } })\n"
	"    end)\n"
	"    -- calls it and reports what came back beside the error\n"
	"    paved.provide('demo.watch', function(args)\n"
	"      local ok, e = pcall(paved.call, 'demo.rollout', {})\n"
	"      return { ok = ok, code = e.code, outcome = e.result.outcome }\n"
	"    end)\n"
	"  end,\n"
	"}\n";

static const char policy_lua[] =
	"-- an observer that vetoes with a reason\n"
	"return {\n"
	"  name = 'policy', summary = 'no bad names',\n"
	"  init = function()\n"
	"    paved.observe('before:recipe.run', 10, function(args)\n"
	"      local n = args.params and args.params.name or ''\n"
	"      if n:find('^bad') then\n"
	"        return false, \"service name '\" .. n .. \"' is not allowed: names may not start with 'bad'\"\n"
	"      end\n"
	"      return true\n"
	"    end)\n"
	"  end,\n"
	"}\n";

static const char broken_lua[] =
	"return {\n"
	"  name = 'broken',\n"
	"  init = function() paved.provide('x.y' function() end) end,\n"
	"}\n";

static const char noinit_lua[] = "return { name = 'noinit' }\n";

static char g_plugdir[PATH_MAX + 16];

static void plugins_setup(void)
{
	lt_make_tmp();
	snprintf(g_plugdir, sizeof g_plugdir, "%s/plugins", lt_tmp);
	ck_assert_int_eq(mkdir(g_plugdir, 0755), 0);
	char f[PATH_MAX + 64];
	snprintf(f, sizeof f, "%s/greeter.lua", g_plugdir);
	lt_write_text(f, greeter_lua);
	snprintf(f, sizeof f, "%s/policy.lua", g_plugdir);
	lt_write_text(f, policy_lua);
	snprintf(f, sizeof f, "%s/broken.lua", g_plugdir);
	lt_write_text(f, broken_lua);
	snprintf(f, sizeof f, "%s/noinit.lua", g_plugdir);
	lt_write_text(f, noinit_lua);
	lt_x = NULL;
	lt_host = lt_open_host(NULL, 0, g_plugdir);
}

static struct pv_plugin *plugin_at(const char *file)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", g_plugdir, file);
	for (struct pv_plugin *p = lt_host->plugins; p; p = p->next)
		if (strcmp(p->path, path) == 0)
			return p;
	ck_abort_msg("%s is not in the plugin list", path);
	return NULL;
}

START_TEST(plugins_listed_as_lua)
{
	struct pv_plugin *p = plugin_at("greeter.lua");
	json_t *j = pv_plugin_json(p);
	ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "greeter");
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "lua");
	ck_assert_str_eq(json_string_value(json_object_get(j, "version")), "1.2.3");
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "loaded");
	json_t *prov = json_object_get(j, "provides"), *x;
	size_t i;
	bool found = false;
	json_array_foreach(prov, i, x)
		found = found || strcmp(json_string_value(x), "demo.greet") == 0;
	ck_assert_msg(found, "demo.greet is not among the hooks greeter provides");
	ck_assert_int_eq(json_array_size(prov), 3);
	json_decref(j);
	j = pv_plugin_json(plugin_at("policy.lua"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "lua");
	json_t *obs = json_array_get(json_object_get(j, "observes"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(obs, "hook")), "before:recipe.run");
	ck_assert_int_eq(json_integer_value(json_object_get(obs, "priority")), 10);
	json_decref(j);
}
END_TEST

START_TEST(plugins_provider_answers)
{
	json_t *res = NULL;
	char *err = NULL;
	json_t *args = json_pack("{ss}", "name", "ada");   /* pv_call borrows it */
	ck_assert_int_eq(pv_call(lt_host, "demo.greet", args, &res, &err), PAVED_OK);
	json_decref(args);
	char *s = json_dumps(res, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(s, "{\"greeting\":\"hello, ada\",\"list\":[1,2]}");
	free(s);
	json_decref(res);
	/* the provider's error reaches the caller verbatim, after plugin and hook */
	res = NULL;
	ck_assert_int_eq(pv_call(lt_host, "demo.greet", NULL, &res, &err), PAVED_ERR);
	ck_assert_msg(strncmp(err, "greeter: demo.greet: name is required", 37) == 0, "%s", err);
	free(err);
}
END_TEST

START_TEST(plugins_result_beside_error)
{
	json_t *res = NULL;
	char *err = NULL;
	/* a Lua provider raising {message=, result=}: the caller gets both */
	ck_assert_int_eq(pv_call(lt_host, "demo.rollout", NULL, &res, &err), PAVED_ERR);
	ck_assert_str_eq(err, "greeter: demo.rollout: replica r2 never became healthy");
	ck_assert_str_eq(json_string_value(json_object_get(res, "outcome")), "rolled_back");
	json_decref(res), free(err), err = NULL;
	/* paved.call in Lua raises {code=, message=, result=} */
	ck_assert_int_eq(pv_call(lt_host, "demo.watch", NULL, &res, &err), PAVED_OK);
	char *s = json_dumps(res, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(s, "{\"code\":\"error\",\"ok\":false,\"outcome\":\"rolled_back\"}");
	free(s);
	json_decref(res);
}
END_TEST

START_TEST(plugins_option_from_config)
{
	pv_host_close(lt_host);
	static const char *const sets[] = { "plugins.greeter.greeting=hej" };
	lt_host = lt_open_host(sets, 1, g_plugdir);
	json_t *res = NULL;
	char *err = NULL;
	json_t *args = json_pack("{ss}", "name", "bo");
	ck_assert_int_eq(pv_call(lt_host, "demo.greet", args, &res, &err), PAVED_OK);
	json_decref(args);
	ck_assert_str_eq(json_string_value(json_object_get(res, "greeting")), "hej, bo");
	json_decref(res);
}
END_TEST

START_TEST(plugins_observer_vetoes)
{
	json_t *res = NULL;
	char *err = NULL;
	json_t *args = json_pack("{ss s{ss} sb sb}", "recipe", "node-api", "params", "name",
	                         "bad-idea", "dry_run", 1, "quiet", 1);
	ck_assert_int_eq(pv_call(lt_host, "recipe.run", args, &res, &err), PAVED_VETO);
	json_decref(args);
	ck_assert_str_eq(err, "policy: before:recipe.run: service name 'bad-idea' is not "
	                 "allowed: names may not start with 'bad'");
	free(err);
	ck_assert_ptr_null(res);
	/* a name the policy accepts goes through (a dry run creates nothing) */
	err = NULL;
	args = json_pack("{ss s{ss} sb sb}", "recipe", "node-api", "params", "name", "good-idea",
	                 "dry_run", 1, "quiet", 1);
	ck_assert_msg(pv_call(lt_host, "recipe.run", args, &res, &err) == PAVED_OK, "%s", err);
	json_decref(args);
	ck_assert(json_is_true(json_object_get(res, "dry_run")));
	json_decref(res);
}
END_TEST

START_TEST(plugins_syntax_error_isolated)
{
	struct pv_plugin *p = plugin_at("broken.lua");
	ck_assert_int_eq(p->status, PV_PLUGIN_FAILED);
	ck_assert_msg(p->error && strstr(p->error, "broken.lua:3:") != NULL, "%s", p->error);
	ck_assert_msg(strstr(p->error, "')' expected") != NULL, "%s", p->error);
	p = plugin_at("noinit.lua");
	ck_assert_int_eq(p->status, PV_PLUGIN_FAILED);
	ck_assert_msg(strstr(p->error, "descriptor field 'init' must be a function") != NULL, "%s",
	              p->error);
	/* the others loaded regardless */
	ck_assert_int_eq(plugin_at("greeter.lua")->status, PV_PLUGIN_LOADED);
	ck_assert_int_eq(plugin_at("policy.lua")->status, PV_PLUGIN_LOADED);
}
END_TEST

static void plugins_teardown(void)
{
	pv_host_close(lt_host);
	lt_host = NULL;
	pv_rm_rf(lt_tmp, NULL);
}

static Suite *lua_suite(void)
{
	Suite *s = suite_create("lua");
	TCase *tc = tcase_create("sandbox");
	tcase_add_checked_fixture(tc, lt_setup, lt_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, sandbox_unreachable, 0,
	                    (int)(sizeof unreachable / sizeof unreachable[0]));
	tcase_add_test(tc, sandbox_safe_libs_present);
	tcase_add_test(tc, sandbox_no_binary_chunks);
	tcase_add_test(tc, limit_memory);
	tcase_add_test(tc, limit_memory_default);
	tcase_add_test(tc, limit_instructions);
	tcase_add_loop_test(tc, limit_instructions_not_swallowed, 0,
	                    (int)(sizeof swallow / sizeof swallow[0]));
	tcase_add_test(tc, errors_have_file_line_and_traceback);
	suite_add_tcase(s, tc);

	tc = tcase_create("module");
	tcase_add_checked_fixture(tc, lt_module_setup, lt_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, run_captures_output_and_code);
	tcase_add_test(tc, run_cwd_and_env);
	tcase_add_test(tc, run_timeout);
	tcase_add_test(tc, run_missing_program);
	tcase_add_test(tc, json_round_trip);
	tcase_add_test(tc, fs_helpers);
	tcase_add_test(tc, render_template);
	suite_add_tcase(s, tc);

	tc = tcase_create("plugins");
	tcase_add_checked_fixture(tc, plugins_setup, plugins_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plugins_listed_as_lua);
	tcase_add_test(tc, plugins_provider_answers);
	tcase_add_test(tc, plugins_result_beside_error);
	tcase_add_test(tc, plugins_option_from_config);
	tcase_add_test(tc, plugins_observer_vetoes);
	tcase_add_test(tc, plugins_syntax_error_isolated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lua_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
