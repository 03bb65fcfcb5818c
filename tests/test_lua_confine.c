/* test_lua_confine.c - Check suite for the confinement of sandboxed Lua
 * (host/lua_confine.c, host/lua_fs.c), issue 12 item 7: paved.fs reaches
 * only a state's own directories (symlinks and ".." resolved first),
 * paved.run starts only declared programs, os.getenv reads only declared
 * variables; recipes declare in their table and Lua plugins in their
 * descriptor, and `paved recipes show` reports it.
 *
 * The recipe tests run tests/recipes/test-confine through the recipe.run
 * hook: each reach the campaign found (read /etc/shadow, write outside the
 * target, remove any path, run sh -c) fails with the confinement's message
 * and the completed step is undone.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luatest.h"
#include "proc.h"
#include "recipe.h"
#include "skeleton.h"

static char g_real[PATH_MAX];     /* realpath of lt_tmp */
static char g_out[PATH_MAX];      /* a directory outside every confinement */

static void make_outside(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(g_out, sizeof g_out, "%s/paved-test-outside.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(g_out));
	char real[PATH_MAX];
	ck_assert_ptr_nonnull(realpath(g_out, real));
	snprintf(g_out, sizeof g_out, "%s", real);
	char f[PATH_MAX + 16];
	snprintf(f, sizeof f, "%s/secret", g_out);
	lt_write_text(f, "secret\n");
}

/* The state may write lt_tmp/t (its "target"), read lt_tmp/own (its own
 * files), run sh and true, read PV_DECLARED. */
static void confine_setup(void)
{
	lt_setup();
	make_outside();
	ck_assert_ptr_nonnull(realpath(lt_tmp, g_real));
	char d[PATH_MAX + 16];
	snprintf(d, sizeof d, "%s/own", lt_tmp);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	snprintf(d, sizeof d, "%s/own/file.txt", lt_tmp);
	lt_write_text(d, "own\n");
	snprintf(d, sizeof d, "%s/own", lt_tmp);
	struct pv_lua_decl decl = { lt_list("sh,true,/bin/echo"), lt_list("PV_DECLARED"), NULL, NULL };
	char *err = NULL;
	ck_assert_msg(pv_lua_confine(lt_x, "recipe 'test'", d, &decl, &err) == PAVED_OK, "%s", err);
	pv_lua_decl_free(&decl);
	snprintf(d, sizeof d, "%s/t", lt_tmp);
	pv_lua_set_target(lt_x, d);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	lua_pushstring(lt_x->L, d);
	lua_setglobal(lt_x->L, "T");
	lua_pushstring(lt_x->L, lt_tmp);
	lua_setglobal(lt_x->L, "TMP");
	lua_pushstring(lt_x->L, g_out);
	lua_setglobal(lt_x->L, "OUT");
}

static void confine_teardown(void)
{
	pv_rm_rf(g_out, NULL);
	lt_teardown();
}

/* CODE must fail with a message containing WANT (with "%R" standing for
 * the realpath of lt_tmp and "%O" for the outside directory). */
static void refused(const char *code, const char *want)
{
	char w[1024];
	lt_expand(w, sizeof w, want, g_real, g_out);
	char *err = lt_run_err(code);
	ck_assert_msg(strstr(err, w) != NULL, "%s\nfailed with: %s\nwanted: %s", code, err, w);
	free(err);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* ---- paved.fs --------------------------------------------------------------- */

START_TEST(fs_outside_refused)
{
	static const char tail[] = "is outside what recipe 'test' may read: a recipe reads its "
	                           "target directory, its temp directories, its own files and what "
	                           "it declares in reads = {...}";
	char want[512];
	snprintf(want, sizeof want, "test:1: paved.fs.read: '/etc/shadow' %s", tail);
	refused("return paved.fs.read('/etc/shadow')", want);
	refused("return paved.fs.list('/etc')", "paved.fs.list: '/etc' is outside");
	refused("return paved.fs.exists('/etc/passwd')", "paved.fs.exists: '/etc/passwd' is outside");
	refused("return paved.fs.write(OUT .. '/planted', 'x')",
	        "paved.fs.write: '%O/planted' is outside what recipe 'test' may write: a recipe "
	        "writes its target directory and its temp directories");
	refused("return paved.fs.mkdir(OUT .. '/d')", "paved.fs.mkdir: '%O/d' is outside");
	refused("return paved.fs.remove(OUT)", "paved.fs.remove: '%O' is outside");
	refused("return paved.fs.remove('/')", "paved.fs.remove: '/' is outside");
	refused("return paved.render_tree(T, OUT .. '/tree')", "paved.render_tree: '%O/tree' is "
	        "outside what recipe 'test' may write");
	refused("return paved.render_tree(OUT, T .. '/tree')", "paved.render_tree: '%O' is outside "
	        "what recipe 'test' may read");
	char p[PATH_MAX + 16];
	snprintf(p, sizeof p, "%s/secret", g_out);
	ck_assert(exists(p) && exists(g_out));
}
END_TEST

START_TEST(fs_dotdot_cannot_escape)
{
	refused("return paved.fs.read(T .. '/../../../../../../../../etc/passwd')",
	        "(it resolves to /etc/passwd) is outside");
	refused("return paved.fs.write(T .. '/sub/../../escaped', 'x')",
	        "(it resolves to %R/escaped) is outside what recipe 'test' may write");
	refused("return paved.fs.mkdir(T .. '/a/b/../../../c')", "(it resolves to %R/c) is outside");
	/* relative paths are taken from the current directory */
	ck_assert_int_eq(chdir(g_out), 0);
	refused("return paved.fs.read('secret')", "paved.fs.read: 'secret' (it resolves to %O/secret) "
	        "is outside");
	/* inside, ".." is fine */
	ck_assert_lua_str("assert(paved.fs.mkdir(T .. '/a/b'))\n"
	                  "assert(paved.fs.write(T .. '/a/b/../c.txt', 'c'))\n"
	                  "return paved.fs.read(T .. '/a/./c.txt')", "c");
}
END_TEST

START_TEST(fs_symlinks_resolved)
{
	char link[PATH_MAX + 16], dangle[PATH_MAX + 16], p[PATH_MAX + 16];
	snprintf(link, sizeof link, "%s/t/out", lt_tmp);
	ck_assert_int_eq(symlink(g_out, link), 0);
	snprintf(dangle, sizeof dangle, "%s/t/dangle", lt_tmp);
	ck_assert_int_eq(symlink("/nonexistent/dir", dangle), 0);
	/* through a symlink inside the target that points outside: refused */
	refused("return paved.fs.read(T .. '/out/secret')", "(it resolves to %O/secret) is outside");
	refused("return paved.fs.write(T .. '/out/planted', 'x')",
	        "(it resolves to %O/planted) is outside");
	refused("return paved.fs.list(T .. '/out')", "(it resolves to %O) is outside");
	refused("return paved.fs.mkdir(T .. '/out/d')", "(it resolves to %O/d) is outside");
	refused("return paved.fs.remove(T .. '/out/secret')", "(it resolves to %O/secret) is outside");
	refused("return paved.fs.read(T .. '/dangle')", "paved.fs.read: cannot resolve '");
	refused("return paved.fs.mkdir(T .. '/dangle/sub')", "paved.fs.mkdir: cannot resolve '");
	/* the link itself is in the target: exists sees it, remove removes the
	 * link (never what it points to), write replaces it */
	ck_assert_lua_str("return paved.fs.exists(T .. '/out')", "other");
	ck_assert_lua_str("assert(paved.fs.remove(T .. '/out')) return 'removed'", "removed");
	snprintf(p, sizeof p, "%s/secret", g_out);
	ck_assert(!exists(link) && exists(p));
	ck_assert_lua_str("assert(paved.fs.write(T .. '/dangle', 'now a file'))\n"
	                  "return paved.fs.read(T .. '/dangle')", "now a file");
	ck_assert(!exists("/nonexistent/dir"));
	/* the target itself may be a symlink: what counts is where it leads */
	char t2[PATH_MAX + 16];
	snprintf(t2, sizeof t2, "%s/t2", lt_tmp);
	snprintf(link, sizeof link, "%s/t", lt_tmp);
	ck_assert_int_eq(symlink(link, t2), 0);
	ck_assert_lua_str("assert(paved.fs.write(TMP .. '/t2/via-link', 'v'))\n"
	                  "return paved.fs.read(T .. '/via-link')", "v");
}
END_TEST

START_TEST(fs_own_files_read_only)
{
	ck_assert_lua_str("return paved.fs.read(TMP .. '/own/file.txt')", "own\n");
	ck_assert_lua_str("return table.concat(paved.fs.list(TMP .. '/own'), ',')", "file.txt");
	refused("return paved.fs.write(TMP .. '/own/file.txt', '')",
	        "paved.fs.write: '" "%R/own/file.txt' is read-only: a recipe writes its target "
	        "directory and its temp directories");
	refused("return paved.fs.remove(TMP .. '/own')", "paved.fs.remove: '%R/own' is read-only");
	/* a read-only directory inside a writable one stays read-only, and
	 * removing the writable one must not take it along */
	struct pv_lua_decl decl = { NULL, NULL, NULL, lt_list(lt_tmp) };
	char own[PATH_MAX + 8], *err = NULL;
	snprintf(own, sizeof own, "%s/own", lt_tmp);
	ck_assert_int_eq(pv_lua_confine(lt_x, "plugin 'test'", own, &decl, &err), PAVED_OK);
	pv_lua_decl_free(&decl);
	refused("return paved.fs.write(TMP .. '/own/x', '')", "is read-only");
	refused("return paved.fs.remove(TMP)", "paved.fs.remove: '%R' contains %R/own, which is "
	        "read-only");
	ck_assert_lua_str("assert(paved.fs.write(TMP .. '/ok', 'ok')) return 'ok'", "ok");
}
END_TEST

START_TEST(fs_tmpdir)
{
	char *dir = lt_run_str("local d = assert(paved.fs.tmpdir())\n"
	                       "assert(paved.fs.write(d .. '/x', 'x'))\n"
	                       "assert(paved.fs.mkdir(d .. '/sub'))\n"
	                       "local e = assert(paved.fs.tmpdir())\n"
	                       "assert(e ~= d)\n"
	                       "return d");
	ck_assert(exists(dir));
	char root[PATH_MAX];
	snprintf(root, sizeof root, "%s", dir);
	*strrchr(root, '/') = '\0';
	ck_assert_msg(strstr(root, "/paved-lua.") != NULL, "%s", root);
	pv_lua_close(lt_x);
	lt_x = NULL;
	ck_assert_msg(!exists(root), "%s outlived its state", root);
	free(dir);
}
END_TEST

/* ---- paved.run and os.getenv ------------------------------------------------ */

START_TEST(run_declared_only)
{
	ck_assert_lua_str("return paved.run{ 'sh', '-c', 'echo declared' }.stdout", "declared\n");
	ck_assert_lua_str("return tostring(paved.run{ 'true' }.code)", "0");
	ck_assert_lua_str("return paved.run{ '/bin/echo', 'by path' }.stdout", "by path\n");
	refused("return paved.run{ 'git', 'status' }",
	        "test:1: paved.run: 'git' is not declared: add \"git\" to requires = { ... } in the "
	        "recipe's table");
	refused("return paved.run{ 'bash', '-c', 'id' }",
	        "paved.run: 'bash' is not declared: add \"bash\" to requires = { ... } in the recipe's "
	        "table (it runs any command: declaring it defeats the confinement)");
	refused("return paved.run{ '/bin/sh', '-c', 'id' }",
	        "paved.run: '/bin/sh' is not declared: run programs by name and add \"sh\" to "
	        "requires = { ... } in the recipe's table, or declare the absolute path itself");
	refused("return paved.run{ './sh' }", "paved.run: './sh' is not declared: run programs by "
	        "name");
	refused("return paved.run{ 'true', cwd = OUT }", "paved.run: '%O' is outside what recipe "
	        "'test' may read");
}
END_TEST

START_TEST(run_path_cannot_be_planted)
{
	/* a "true" the recipe wrote into its target, first in PATH: refused */
	char bin[PATH_MAX + 16], path[2 * PATH_MAX];
	snprintf(bin, sizeof bin, "%s/t/bin", lt_tmp);
	snprintf(path, sizeof path, "%s:/usr/bin:/bin", bin);
	setenv("PATH", path, 1);
	ck_assert_lua_str("assert(paved.fs.mkdir(T .. '/bin'))\n"
	                  "assert(paved.fs.write(T .. '/bin/true', '#!/bin/sh\\necho planted\\n', 493))\n"
	                  "return 'written'", "written");
	refused("return paved.run{ 'true' }", "/t/bin/true is in %R/t, which this code can write: "
	        "refusing to run it");
	/* relative PATH entries are never searched */
	ck_assert_int_eq(chdir(bin), 0);
	setenv("PATH", ".:/usr/bin:/bin", 1);
	ck_assert_lua_str("return paved.run{ 'true' }.stdout", "");
}
END_TEST

START_TEST(getenv_declared_only)
{
	setenv("PV_DECLARED", "seen", 1);
	setenv("PV_SECRET", "hidden", 1);
	ck_assert_lua_str("return os.getenv('PV_DECLARED')", "seen");
	ck_assert_lua_str("return tostring(os.getenv('PV_SECRET')) .. tostring(os.getenv('HOME'))",
	                  "nilnil");
	/* the rest of os is the clock and the calendar */
	ck_assert_lua_str("return type(os.time()) .. type(os.clock()) .. type(os.date('%Y')) .. "
	                  "type(os.difftime(2, 1)) .. type(os.execute) .. type(os.remove)",
	                  "numbernumberstringnumbernilnil");
}
END_TEST

START_TEST(declarations_checked)
{
	static const struct { const char *field, *json, *want; } bad[] = {
		{ "requires", "[\"ok\", 7]", "requires[2] must be a program name or an absolute path" },
		{ "requires", "[\"bin/git\"]", "requires[1] must be a program name or an absolute path" },
		{ "requires", "[\"\"]", "requires[1] must be a program name or an absolute path" },
		{ "env", "[\"A=B\"]", "env[1] must be a variable name" },
		{ "reads", "[\"relative/dir\"]", "reads[1] must be an absolute path" },
		{ "writes", "[5]", "writes[1] must be an absolute path" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct pv_lua_decl d = { 0 };
		json_t *v = json_loads(bad[i].json, 0, NULL);
		if (!strcmp(bad[i].field, "requires"))
			d.requires = v;
		else if (!strcmp(bad[i].field, "env"))
			d.env = v;
		else if (!strcmp(bad[i].field, "reads"))
			d.reads = v;
		else
			d.writes = v;
		char *err = NULL;
		ck_assert_int_eq(pv_lua_confine(lt_x, "recipe 'x'", NULL, &d, &err), PAVED_ERR);
		ck_assert_msg(strstr(err, bad[i].want), "%s: %s", bad[i].json, err);
		free(err);
		pv_lua_decl_free(&d);
	}
	/* pv_lua_read_decl: a field that is not a list */
	struct pv_lua_decl d;
	char *err = NULL;
	ck_assert_int_eq(luaL_dostring(lt_x->L, "return { requires = 'git' }"), LUA_OK);
	ck_assert_int_eq(pv_lua_read_decl(lt_x->L, -1, &d, &err), PAVED_ERR);
	ck_assert_str_eq(err, "'requires' must be a list of strings, as in requires = { \"...\" }");
	free(err);
	lua_settop(lt_x->L, 0);
	/* an unconfined state reaches nothing at all */
	pv_lua_close(lt_x);
	lt_x = pv_lua_new(lt_host, NULL);
	refused("return paved.fs.read('/etc/hostname')", "is outside what this code may read");
	refused("return paved.run{ 'true' }", "paved.run: 'true' is not declared");
}
END_TEST

/* ---- Lua plugins ----------------------------------------------------------- */

static const char keeper_lua[] =
	"return {\n"
	"  name = 'keeper', summary = 'confined to its data directory',\n"
	"  requires = { 'sleep' },\n"
	"  init = function()\n"
	"    paved.provide('demo.keep', function(args)\n"
	"      local d = assert(paved.fs.datadir())\n"
	"      assert(paved.fs.write(d .. '/state.txt', args.text))\n"
	"      local t = assert(paved.fs.tmpdir())\n"
	"      assert(paved.fs.write(t .. '/scratch', 'x'))\n"
	"      return { dir = d, own = #assert(paved.fs.list(args.mydir)) > 0 }\n"
	"    end)\n"
	"    paved.provide('demo.peek', function(args)\n"
	"      local ok, e = pcall(paved.fs[args.fn], args.path, 'x')\n"
	"      return { ok = ok, error = tostring(e) }\n"
	"    end)\n"
	"    paved.provide('demo.spin', function(args)\n"
	"      paved.run{ 'sleep', tostring(args.seconds) }\n"
	"      return { spun = args.seconds }\n"
	"    end)\n"
	"    paved.provide('demo.twice', function()\n"
	"      paved.call('demo.spin', { seconds = 0.7 })\n"
	"      paved.call('demo.spin', { seconds = 0.7 })\n"
	"      return { ok = true }\n"
	"    end)\n"
	"  end,\n"
	"}\n";

static const char declarer_lua[] =
	"return {\n"
	"  name = 'declarer', summary = 'declares what it needs',\n"
	"  requires = { 'true' }, env = { 'PV_DECLARED' },\n"
	"  writes = { paved.home() .. '/monitoring' },\n"
	"  init = function()\n"
	"    paved.provide('demo.declared', function()\n"
	"      assert(paved.fs.mkdir(paved.home() .. '/monitoring/targets'))\n"
	"      assert(paved.fs.write(paved.home() .. '/monitoring/targets/x.json', '{}'))\n"
	"      return { code = paved.run{ 'true' }.code, env = os.getenv('PV_DECLARED') }\n"
	"    end)\n"
	"  end,\n"
	"}\n";

static const char baddecl_lua[] =
	"return { name = 'baddecl', requires = { 1 }, init = function() end }\n";

static char g_plugdir[PATH_MAX + 16];

static void plugins_setup(void)
{
	lt_make_tmp();
	ck_assert_ptr_nonnull(realpath(lt_tmp, g_real));
	snprintf(g_plugdir, sizeof g_plugdir, "%s/plugins", lt_tmp);
	ck_assert_int_eq(mkdir(g_plugdir, 0755), 0);
	char f[PATH_MAX + 64];
	snprintf(f, sizeof f, "%s/keeper.lua", g_plugdir);
	lt_write_text(f, keeper_lua);
	snprintf(f, sizeof f, "%s/declarer.lua", g_plugdir);
	lt_write_text(f, declarer_lua);
	snprintf(f, sizeof f, "%s/baddecl.lua", g_plugdir);
	lt_write_text(f, baddecl_lua);
	setenv("PV_DECLARED", "yes", 1);
	static const char *const sets[] = { "lua.max_seconds=1",
	                                    "lua.max_instructions=1000000000000" };
	lt_x = NULL;
	lt_host = lt_open_host(sets, 2, g_plugdir);
}

static void plugins_teardown(void)
{
	pv_host_close(lt_host);
	lt_host = NULL;
	pv_rm_rf(lt_tmp, NULL);
}

/* Call HOOK with ARGS (JSON text): its result (new reference); the call
 * must succeed. */
static json_t *call_ok(const char *hook, const char *args)
{
	json_t *a = json_loads(args, 0, NULL), *res = NULL;
	char *err = NULL;
	ck_assert_msg(pv_call(lt_host, hook, a, &res, &err) == PAVED_OK, "%s: %s", hook, err);
	json_decref(a);
	return res;
}

START_TEST(plugin_data_dir)
{
	char args[PATH_MAX + 64];
	snprintf(args, sizeof args, "{\"text\": \"kept\", \"mydir\": \"%s\"}", g_plugdir);
	json_t *r = call_ok("demo.keep", args);
	char want[PATH_MAX + 64], path[PATH_MAX + 80];
	snprintf(want, sizeof want, "%s/home/plugins-data/keeper", lt_tmp);
	ck_assert_str_eq(json_string_value(json_object_get(r, "dir")), want);
	ck_assert(json_is_true(json_object_get(r, "own")));
	snprintf(path, sizeof path, "%s/state.txt", want);
	char *text = NULL;
	size_t n;
	ck_assert_ptr_nonnull(text = pv_read_file(path, &n, NULL));
	ck_assert_str_eq(text, "kept");
	free(text);
	json_decref(r);
}
END_TEST

START_TEST(plugin_confined)
{
	static const char *const tries[][3] = {
		{ "read", "%s/home/paved.db", "paved.fs.read: '%s/home/paved.db' is outside what plugin "
		  "'keeper' may read: a Lua plugin reads its data directory, its temp directories, its "
		  "own directory and what it declares in reads = {...} or writes = {...}" },
		{ "write", "%s/home/planted", "paved.fs.write: '%s/home/planted' is outside what plugin "
		  "'keeper' may write: a Lua plugin writes its data directory (paved.fs.datadir()), "
		  "its temp directories and what it declares in writes = {...}" },
		{ "write", "%s/plugins/keeper.lua", "paved.fs.write: '%s/plugins/keeper.lua' is "
		  "read-only" },
		{ "remove", "%s/home/plugins-data", "paved.fs.remove: '%s/home/plugins-data' is "
		  "outside" },
	};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		char args[PATH_MAX * 2], want[PATH_MAX * 2];
		char arg_path[PATH_MAX + 64];
		snprintf(arg_path, sizeof arg_path, tries[i][1], g_real);
		snprintf(args, sizeof args, "{\"fn\": \"%s\", \"path\": \"%s\"}", tries[i][0], arg_path);
		snprintf(want, sizeof want, tries[i][2], g_real);
		json_t *r = call_ok("demo.peek", args);
		ck_assert(json_is_false(json_object_get(r, "ok")));
		ck_assert_msg(strstr(json_string_value(json_object_get(r, "error")), want),
		              "%s\nwanted: %s", json_string_value(json_object_get(r, "error")), want);
		json_decref(r);
	}
}
END_TEST

START_TEST(plugin_declarations)
{
	json_t *r = call_ok("demo.declared", "{}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "code")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(r, "env")), "yes");
	json_decref(r);
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/home/monitoring/targets/x.json", lt_tmp);
	ck_assert(exists(p));
	for (struct pv_plugin *q = lt_host->plugins; q; q = q->next)
		if (strstr(q->path, "baddecl.lua")) {
			ck_assert_int_eq(q->status, PV_PLUGIN_FAILED);
			ck_assert_msg(strstr(q->error, "descriptor: 'requires' must be a list of strings, "
			                     "as in requires = { \"...\" }"), "%s", q->error);
		}
}
END_TEST

START_TEST(plugin_hook_clock)
{
	/* each hook call has its own clock; time in hooks it calls is theirs */
	json_t *r = call_ok("demo.twice", "{}");
	ck_assert(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	json_t *a = json_pack("{sf}", "seconds", 30.0), *res = NULL;
	char *err = NULL;
	double t0 = lt_now();
	ck_assert_int_eq(pv_call(lt_host, "demo.spin", a, &res, &err), PAVED_ERR);
	ck_assert_msg(lt_now() - t0 < 3, "took %.1f s", lt_now() - t0);
	ck_assert_msg(strstr(err, "keeper: demo.spin: ") && strstr(err, "time limit of 1 s "
	                     "exceeded (lua.max_seconds)"), "%s", err);
	free(err);
	json_decref(a);
	/* and the plugin goes on answering */
	r = call_ok("demo.spin", "{\"seconds\": 0.01}");
	json_decref(r);
}
END_TEST

/* ---- recipes ----------------------------------------------------------------- */

static void recipes_setup(void)
{
	lt_setup();
	make_outside();
	ck_assert_ptr_nonnull(realpath(lt_tmp, g_real));
	setenv("PAVED_RECIPE_PATH", PV_TEST_SRCDIR "/tests/recipes", 1);
	char work[PATH_MAX + 8];
	snprintf(work, sizeof work, "%s/work", lt_tmp);
	ck_assert_int_eq(mkdir(work, 0755), 0);
}

static const struct { const char *how, *want; } reaches[] = {
	{ "read", "paved.fs.read: '/etc/shadow' is outside what recipe 'test-confine' may read" },
	{ "read-dotdot", "(it resolves to /etc/passwd) is outside what recipe 'test-confine' may "
	  "read" },
	{ "write", "(it resolves to %R/work/escaped.txt) is outside what recipe 'test-confine' may "
	  "write" },
	{ "remove", "paved.fs.remove: '%R/home' is outside what recipe 'test-confine' may write" },
	{ "mkdir", "paved.fs.mkdir: '%R/home/planted' is outside" },
	{ "symlink", "(it resolves to %O/planted.txt) is outside what recipe 'test-confine' may "
	  "write" },
	{ "own-files", "/tests/recipes/test-confine/recipe.lua' is read-only: a recipe writes its "
	  "target directory and its temp directories" },
	{ "sh", "paved.run: 'sh' is not declared: add \"sh\" to requires = { ... } in the recipe's "
	  "table (it runs any command: declaring it defeats the confinement)" },
	{ "abs", "paved.run: '/bin/sh' is not declared: run programs by name" },
};

START_TEST(recipe_reaches_refused)
{
	char target[PATH_MAX + 16], link[PATH_MAX + 32], want[1024];
	snprintf(target, sizeof target, "%s/work/svc", lt_tmp);
	if (strcmp(reaches[_i].how, "symlink") == 0) {
		ck_assert_int_eq(mkdir(target, 0755), 0);
		snprintf(link, sizeof link, "%s/out", target);
		ck_assert_int_eq(symlink(g_out, link), 0);
	}
	lt_expand(want, sizeof want, reaches[_i].want, g_real, g_out);
	char *err = NULL;
	ck_assert_int_eq(lt_run_recipe("test-confine", reaches[_i].how, &err, NULL), PAVED_ERR);
	ck_assert_msg(strstr(err, "step 'Reached out' failed") && strstr(err, want),
	              "--how %s: %s\nwanted: %s", reaches[_i].how, err, want);
	free(err);
	/* the first step was undone; nothing outside changed */
	ck_assert_msg(!lt_target_exists(), "%s was left behind", target);
	snprintf(link, sizeof link, "%s/secret", g_out);
	ck_assert(exists(link));
	snprintf(link, sizeof link, "%s/planted.txt", g_out);
	ck_assert(!exists(link));
	snprintf(link, sizeof link, "%s/work/escaped.txt", lt_tmp);
	ck_assert(!exists(link));
}
END_TEST

START_TEST(recipe_within_confinement)
{
	/* everything a recipe may do; then an undeclared variable reads as nil */
	static const char *const cases[][2] = { { "fine", "fine" }, { "getenv", "HOME is nil" } };
	setenv("PAVED_TEST_DECLARED", "yes", 1);
	setenv("HOME", "/somewhere", 1);
	for (size_t i = 0; i < 2; i++) {
		char *out = NULL;
		ck_assert_msg(lt_run_recipe("test-confine", cases[i][0], &out, NULL) == PAVED_OK,
		              "--how %s: %s", cases[i][0], out);
		ck_assert_str_eq(out, cases[i][1]);
		free(out);
	}
}
END_TEST

START_TEST(recipe_show_declarations)
{
	struct pv_recipe *r = NULL;
	char *err = NULL;
	ck_assert_msg(pv_recipe_open(lt_host, "test-shell", &r, &err) == PAVED_OK, "%s", err);
	json_t *d = pv_recipe_describe(r);
	json_t *decl = json_pack("{sOsOsOsO}", "requires", json_object_get(d, "requires"), "env",
	                         json_object_get(d, "env"), "reads", json_object_get(d, "reads"),
	                         "warnings", json_object_get(d, "warnings"));
	char *s = json_dumps(decl, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(decl);
	ck_assert_str_eq(s, "{\"env\":[\"HOME\",\"LANG\"],\"reads\":[\"/usr/share\"],"
	                 "\"requires\":[\"git\",\"sh\"],\"warnings\":[\"requires 'sh', which runs "
	                 "any command: paved.run's confinement does not hold for this recipe\"]}");
	free(s);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	pv_recipe_print_access(f, d);
	fclose(f);
	ck_assert_str_eq(text,
		"\nAccess (the sandbox allows nothing else):\n"
		"  files       writes its target and temp directories; reads its own files\n"
		"  programs    git, sh\n"
		"  env         HOME, LANG\n"
		"  also reads  /usr/share\n"
		"  warning: requires 'sh', which runs any command: paved.run's confinement does not "
		"hold for this recipe\n");
	free(text);
	json_decref(d);
	pv_recipe_close(r);
	/* a recipe that declares nothing */
	ck_assert_int_eq(pv_recipe_open(lt_host, "test-fail", &r, &err), PAVED_OK);
	d = pv_recipe_describe(r);
	ck_assert_int_eq(json_array_size(json_object_get(d, "requires")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(d, "warnings")), 0);
	json_decref(d);
	pv_recipe_close(r);
	/* a malformed declaration: the recipe does not open */
	ck_assert_int_eq(pv_recipe_open(lt_host, "test-baddecl", &r, &err), PAVED_ERR);
	ck_assert_str_eq(err, "recipe 'test-baddecl': 'requires' must be a list of strings, as in "
	                 "requires = { \"...\" }");
	free(err);
}
END_TEST

static Suite *confine_suite(void)
{
	Suite *s = suite_create("lua_confine");
	TCase *tc = tcase_create("plugins");
	tcase_add_checked_fixture(tc, plugins_setup, plugins_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plugin_data_dir);
	tcase_add_test(tc, plugin_confined);
	tcase_add_test(tc, plugin_declarations);
	tcase_add_test(tc, plugin_hook_clock);
	suite_add_tcase(s, tc);

	tc = tcase_create("fs");
	tcase_add_checked_fixture(tc, confine_setup, confine_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, fs_outside_refused);
	tcase_add_test(tc, fs_dotdot_cannot_escape);
	tcase_add_test(tc, fs_symlinks_resolved);
	tcase_add_test(tc, fs_own_files_read_only);
	tcase_add_test(tc, fs_tmpdir);
	tcase_add_test(tc, run_declared_only);
	tcase_add_test(tc, run_path_cannot_be_planted);
	tcase_add_test(tc, getenv_declared_only);
	tcase_add_test(tc, declarations_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("recipes");
	tcase_add_checked_fixture(tc, recipes_setup, confine_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, recipe_reaches_refused, 0, (int)(sizeof reaches / sizeof reaches[0]));
	tcase_add_test(tc, recipe_within_confinement);
	tcase_add_test(tc, recipe_show_declarations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(confine_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
