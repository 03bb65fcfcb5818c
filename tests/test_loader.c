/*
 * test_loader.c -- Check suite for host/loader.c and host/plugin_cache.c:
 * every way a plugin can fail to load (each with the message a user sees,
 * the other plugins still loading, --strict making it fatal and nothing
 * half-written in the state database), the registration cache with lazy
 * loading, and shadowing.
 *
 * The test plugins (tests/plugins/NAME.c) are real shared objects built by
 * `make check`; each test copies the ones it needs into its own directory.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "testutil.h"

static char *tmp, *home, *pdir, *dbpath;
static pv_host *h;
static char *err;

static void setup(void)
{
	tu_isolate_env();
	tmp = tu_base_subdir();
	home = tu_join(tmp, "home");
	pdir = tu_join(tmp, "plugins");
	dbpath = tu_join(home, "paved.db");
	tu_mkdirs(pdir, 0755);
	h = NULL;
	err = NULL;
}

static void teardown(void)
{
	pv_host_close(h);
	h = NULL;
	free(err);
	tu_rm_rf(tmp);
	free(tmp), free(home), free(pdir), free(dbpath);
}

/* Open a host on HOME whose plugins come from DIRS only (the bundled
 * plugins of the build tree are left out), as pv_host_open does.  Returns
 * the exit code a paved process would get (0 on success). */
static int load_with(const char *dirs, bool strict, const char *const *sets, size_t nsets)
{
	struct pv_host_opts o = { .home = home, .no_plugins = true, .strict = strict,
	                          .verbosity = -1, .sets = sets, .nsets = nsets };
	int code = 0;
	pv_host_close(h);
	h = NULL;
	free(err), err = NULL;
	if (pv_host_open(&o, &h, &err, &code))
		return code;
	if (pv_loader_init(&err))
		return PV_EXIT_USAGE;
	h->loader = true;
	if (pv_load_plugins(h, dirs, &err))
		return PV_EXIT_PLUGIN;
	return 0;
}

static int load(const char *dirs)
{
	return load_with(dirs, false, NULL, 0);
}

/* The plugin loaded from FILE (a name in pdir, or an absolute path). */
static struct pv_plugin *plugin_at(const char *file)
{
	char *path = file[0] == '/' ? strdup(file) : tu_join(pdir, file);
	struct pv_plugin *p = h->plugins;
	while (p && strcmp(p->path, path) != 0)
		p = p->next;
	ck_assert_msg(p != NULL, "no plugin record for %s", path);
	free(path);
	return p;
}

static long long cache_rows_for(const char *file)
{
	char *path = tu_join(pdir, file);
	char *sql = sqlite3_mprintf("SELECT count(*) FROM plugin_cache WHERE path=%Q", path);
	long long n = tu_sql_int(dbpath, sql);
	sqlite3_free(sql);
	free(path);
	return n;
}

/* Call test.good (from good.so) and check it answers. */
static void call_good(void)
{
	json_t *res = NULL;
	char *e = NULL;
	json_t *args = json_pack("{si}", "n", 1);
	ck_assert_msg(pv_call(h, "test.good", args, &res, &e) == PAVED_OK, "call: %s", e);
	ck_assert(json_is_true(json_object_get(res, "ok")));
	json_decref(res);
	json_decref(args);
}

/* ---- every way to fail --------------------------------------------------- */

struct bad_case {
	const char *file;     /* file name in the plugin directory */
	const char *want;     /* expected reason (prefix) */
	bool        prefix;   /* WANT is only the start of the reason */
};

#define ABI_MSG "built for plugin ABI 1, but this paved (" PACKAGE_VERSION \
	") provides ABI 2: rebuild the plugin against paved/plugin.h (sdk/README.md has " \
	"a migration note)"
#define SIZE_MSG "invalid descriptor: its size is 16 bytes, ABI 2's is "
#define NODESC_MSG "no plugin descriptor: the file exports neither paved_plugin nor " \
	"NAME_LTX_paved_plugin (see PAVED_PLUGIN_DECLARE in paved/plugin.h)"

static const struct bad_case bad_cases[] = {
	{ "badabi.so",   ABI_MSG, false },
	{ "nodesc.so",   NODESC_MSG, false },
	{ "initfail.so", "init failed: cannot reach the frobnicator at 10.0.0.1", false },
	{ "notso.so",    "not a loadable shared object: invalid ELF header", false },
	{ "unread.so",   "cannot read: Permission denied", false },
	{ "dupb.so",     "init failed: provider 'test.dup' is already taken by plugin 'dupa' "
	                 "from ", true },
	{ "badsize.so",  SIZE_MSG, true },
};
#define NBAD (int)(sizeof bad_cases / sizeof bad_cases[0])

/* Put the bad plugin of case I (and good.so) into pdir.  Returns false when
 * the case cannot run here (the unreadable file when not forking). */
static bool install_bad(int i)
{
	free(tu_install_plugin(pdir, "good"));
	switch (i) {
	case 0: free(tu_install_plugin(pdir, "badabi")); break;
	case 1: free(tu_install_plugin(pdir, "nodesc")); break;
	case 2: free(tu_install_plugin(pdir, "initfail")); break;
	case 3: {
		char *p = tu_join(pdir, "notso.so");
		tu_write_file(p, "This is a text file that happens to be named like a plugin.\n"
		              "It is longer than an ELF header, so dlopen reads it all.\n");
		free(p);
		break;
	}
	case 4: {
		char *src = tu_test_plugin("good"), *dst = tu_join(pdir, "unread.so");
		tu_copy_file(src, dst);
		chmod(dst, 0);
		free(src), free(dst);
		/* root ignores file modes: become nobody (only in a forked test) */
		if (!tu_drop_root())
			return false;
		break;
	}
	case 5:
		free(tu_install_plugin(pdir, "dupa"));
		free(tu_install_plugin(pdir, "dupb"));
		break;
	case 6: free(tu_install_plugin(pdir, "badsize")); break;
	}
	return true;
}

static void check_reason(const struct bad_case *c, const char *reason)
{
	ck_assert_ptr_nonnull(reason);
	if (c->prefix)
		ck_assert_msg(strncmp(reason, c->want, strlen(c->want)) == 0,
		              "reason '%s' does not start with '%s'", reason, c->want);
	else
		ck_assert_str_eq(reason, c->want);
}

START_TEST(test_bad_plugin_reported_others_load)
{
	const struct bad_case *c = &bad_cases[_i];
	if (!install_bad(_i))
		return;
	ck_assert_int_eq(load(pdir), 0);   /* not fatal without --strict */

	struct pv_plugin *bad = plugin_at(c->file);
	ck_assert_int_eq(bad->status, PV_PLUGIN_FAILED);
	ck_assert_str_eq(pv_plugin_status_name(bad->status), "failed");
	check_reason(c, bad->error);

	/* `paved plugins --json` shows it failed, with its reason */
	json_t *j = pv_plugin_json(bad);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "failed");
	ck_assert_str_eq(json_string_value(json_object_get(j, "error")), bad->error);
	ck_assert_str_eq(json_string_value(json_object_get(j, "file")), bad->path);
	json_decref(j);

	/* the other plugins still load and answer */
	struct pv_plugin *good = plugin_at("good.so");
	ck_assert_int_eq(good->status, PV_PLUGIN_LOADED);
	ck_assert_ptr_null(good->error);
	if (_i == 5)
		ck_assert_int_eq(plugin_at("dupa.so")->status, PV_PLUGIN_LOADED);

	/* nothing half-written: no cache entry, no event, no registration */
	ck_assert_int_eq(cache_rows_for(c->file), 0);
	ck_assert_int_eq(cache_rows_for("good.so"), 1);
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM events"), 0);
	ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM outbox"), 0);
	struct paved_hook *hk = pv_hook_get(h, "test.initfail", false);
	ck_assert(hk == NULL || hk->provider == NULL);
	if (_i == 5) {   /* the first provider keeps the hook */
		json_t *res = NULL;
		ck_assert_int_eq(pv_call(h, "test.dup", NULL, &res, &err), PAVED_OK);
		ck_assert_str_eq(json_string_value(res), "dupa");
		json_decref(res);
	}
	call_good();

	/* a failure is not cached: the next run tries again, same reason */
	ck_assert_int_eq(load(pdir), 0);
	bad = plugin_at(c->file);
	ck_assert_int_eq(bad->status, PV_PLUGIN_FAILED);
	check_reason(c, bad->error);
	ck_assert_int_eq(plugin_at("good.so")->status, PV_PLUGIN_CACHED);
	ck_assert_int_eq(cache_rows_for(c->file), 0);
}
END_TEST

START_TEST(test_bad_plugin_strict)
{
	const struct bad_case *c = &bad_cases[_i];
	if (!install_bad(_i))
		return;
	ck_assert_int_eq(load_with(pdir, true, NULL, 0), PV_EXIT_PLUGIN);
	char *path = tu_join(pdir, c->file);
	char want[4300];   /* "plugin PATH: REASON (--strict)" */
	snprintf(want, sizeof want, "plugin %s: ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s'", err);
	size_t n = strlen(err);
	ck_assert_msg(n > 11 && strcmp(err + n - 11, " (--strict)") == 0, "got '%s'", err);
	err[n - 11] = '\0';
	check_reason(c, err + strlen(want));

	/* the real pv_host_open, --plugin-path first in the search path */
	struct pv_host_opts o = { .home = home, .plugin_path = pdir, .strict = true,
	                          .verbosity = -1 };
	pv_host *h2 = NULL;
	int code = 0;
	free(err), err = NULL;
	ck_assert_int_eq(pv_host_open(&o, &h2, &err, &code), PAVED_ERR);
	ck_assert_ptr_null(h2);
	ck_assert_int_eq(code, PV_EXIT_PLUGIN);
	ck_assert(tu_contains(err, path));
	ck_assert(tu_contains(err, " (--strict)"));
	free(path);
}
END_TEST

START_TEST(test_strict_all_good)
{
	free(tu_install_plugin(pdir, "good"));
	free(tu_install_plugin(pdir, "failsink"));
	ck_assert_int_eq(load_with(pdir, true, NULL, 0), 0);
	ck_assert_ptr_null(err);
	call_good();
}
END_TEST

START_TEST(test_same_name_twice)
{
	free(tu_install_plugin(pdir, "good"));
	free(tu_install_plugin(pdir, "twin"));   /* its descriptor also says "good" */
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(plugin_at("good.so")->status, PV_PLUGIN_LOADED);
	struct pv_plugin *t = plugin_at("twin.so");
	ck_assert_int_eq(t->status, PV_PLUGIN_FAILED);
	char want[4300];
	snprintf(want, sizeof want, "plugin name 'good' is already used by %s/good.so", pdir);
	ck_assert_str_eq(t->error, want);
	struct paved_hook *hk = pv_hook_get(h, "test.twin", false);
	ck_assert(hk == NULL || hk->provider == NULL);   /* its init never ran */
	ck_assert_ptr_eq(pv_plugin_find(h, "good"), plugin_at("good.so"));
	call_good();
	ck_assert_int_eq(cache_rows_for("twin.so"), 0);
}
END_TEST

START_TEST(test_plain_descriptor_name)
{
	free(tu_install_plugin(pdir, "twin"));   /* exports plain paved_plugin */
	ck_assert_int_eq(load(pdir), 0);
	struct pv_plugin *t = plugin_at("twin.so");
	ck_assert_int_eq(t->status, PV_PLUGIN_LOADED);
	ck_assert_str_eq(t->name, "good");
	ck_assert_str_eq(t->version, "9.9.9");
	json_t *res = NULL;
	ck_assert_int_eq(pv_call(h, "test.twin", NULL, &res, &err), PAVED_OK);
	ck_assert_str_eq(json_string_value(res), "twin");
	json_decref(res);
}
END_TEST

START_TEST(test_option_errors)
{
	free(tu_install_plugin(pdir, "good"));
	free(tu_install_plugin(pdir, "failsink"));
	const char *sets[] = { "plugins.failsink.fail=\"yes\"", "plugins.good.colour=1" };
	ck_assert_int_eq(load_with(pdir, false, sets, 2), 0);
	ck_assert_str_eq(plugin_at("failsink.so")->error,
	                 "option plugins.failsink.fail must be of type bool");
	ck_assert_str_eq(plugin_at("good.so")->error,
	                 "unknown option plugins.good.colour (plugin 'good' declares 0 options; "
	                 "see `paved plugins show good`)");
	ck_assert_int_eq(cache_rows_for("failsink.so"), 0);
}
END_TEST

START_TEST(test_no_provider_lists_real_plugins)
{
	free(tu_install_plugin(pdir, "good"));
	free(tu_install_plugin(pdir, "failsink"));
	free(tu_install_plugin(pdir, "initfail"));
	ck_assert_int_eq(load(pdir), 0);
	json_t *res = NULL;
	ck_assert_int_eq(pv_call(h, "nope", NULL, &res, &err), PAVED_NOHOOK);
	ck_assert_str_eq(err, "no plugin provides 'nope'; loaded plugins: failsink, good");
	/* the same from the cache */
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(pv_call(h, "nope", NULL, &res, &err), PAVED_NOHOOK);
	ck_assert_str_eq(err, "no plugin provides 'nope'; loaded plugins: failsink, good");
}
END_TEST

/* ---- registration cache and lazy loading -------------------------------- */

START_TEST(test_cache_lazy_load)
{
	free(tu_install_plugin(pdir, "good"));
	ck_assert_int_eq(load(pdir), 0);
	struct pv_plugin *p = plugin_at("good.so");
	ck_assert_int_eq(p->status, PV_PLUGIN_LOADED);
	ck_assert_ptr_nonnull(p->handle);
	ck_assert_int_eq(cache_rows_for("good.so"), 1);

	/* a later run: known from the cache, not opened */
	ck_assert_int_eq(load(pdir), 0);
	p = plugin_at("good.so");
	ck_assert_int_eq(p->status, PV_PLUGIN_CACHED);
	ck_assert_str_eq(pv_plugin_status_name(p->status), "ready");
	ck_assert_ptr_null(p->handle);
	ck_assert_str_eq(p->name, "good");
	ck_assert_str_eq(p->version, "1.2.3");
	ck_assert_str_eq(p->summary, "test plugin that loads");
	struct paved_hook *hk = pv_hook_get(h, "test.good", false);
	ck_assert_ptr_nonnull(hk);
	ck_assert_ptr_nonnull(hk->provider);
	ck_assert_ptr_null(hk->provider->fn);          /* a placeholder */
	ck_assert_ptr_eq(hk->provider->plugin, p);
	json_t *j = pv_plugin_json(p);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "provides"), 0)),
	                 "test.good");
	json_decref(j);

	/* first call loads it */
	call_good();
	ck_assert_int_eq(p->status, PV_PLUGIN_LOADED);
	ck_assert_ptr_nonnull(p->handle);
	ck_assert_ptr_nonnull(hk->provider->fn);
	call_good();
}
END_TEST

START_TEST(test_cache_invalidated_by_touch)
{
	free(tu_install_plugin(pdir, "good"));
	ck_assert_int_eq(load(pdir), 0);
	char *path = tu_join(pdir, "good.so");
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	ts[1].tv_sec += 5;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(plugin_at("good.so")->status, PV_PLUGIN_LOADED);   /* opened again */
	ck_assert_ptr_nonnull(plugin_at("good.so")->handle);
	ck_assert_int_eq(cache_rows_for("good.so"), 1);                     /* replaced */
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(plugin_at("good.so")->status, PV_PLUGIN_CACHED);
	free(path);
}
END_TEST

START_TEST(test_cache_invalidated_by_replace)
{
	free(tu_install_plugin(pdir, "good"));
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(plugin_at("good.so")->status, PV_PLUGIN_CACHED);
	/* replaced by something broken: the stale entry must not be used */
	char *path = tu_join(pdir, "good.so");
	unlink(path);
	tu_write_file(path, "garbage\n");
	ck_assert_int_eq(load(pdir), 0);
	struct pv_plugin *p = plugin_at("good.so");
	ck_assert_int_eq(p->status, PV_PLUGIN_FAILED);
	ck_assert(tu_contains(p->error, "not a loadable shared object"));
	struct paved_hook *hk = pv_hook_get(h, "test.good", false);
	ck_assert(hk == NULL || hk->provider == NULL);
	/* ...and by a working plugin again */
	free(tu_install_plugin(pdir, "good"));
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(plugin_at("good.so")->status, PV_PLUGIN_LOADED);
	call_good();
	free(path);
}
END_TEST

START_TEST(test_cached_conflict_still_fails)
{
	free(tu_install_plugin(pdir, "dupa"));
	free(tu_install_plugin(pdir, "dupb"));
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_eq(plugin_at("dupb.so")->status, PV_PLUGIN_FAILED);
	ck_assert_int_eq(load(pdir), 0);   /* dupa from the cache, dupb loaded again */
	ck_assert_int_eq(plugin_at("dupa.so")->status, PV_PLUGIN_CACHED);
	struct pv_plugin *b = plugin_at("dupb.so");
	ck_assert_int_eq(b->status, PV_PLUGIN_FAILED);
	ck_assert(tu_contains(b->error, "provider 'test.dup' is already taken by plugin 'dupa'"));
	json_t *res = NULL;
	ck_assert_int_eq(pv_call(h, "test.dup", NULL, &res, &err), PAVED_OK);
	ck_assert_str_eq(json_string_value(res), "dupa");
	json_decref(res);
}
END_TEST

/* ---- search path ---------------------------------------------------------- */

START_TEST(test_shadowing)
{
	char *d1 = tu_join(tmp, "first"), *d2 = tu_join(tmp, "second");
	tu_mkdirs(d1, 0755);
	tu_mkdirs(d2, 0755);
	char *p1 = tu_install_plugin(d1, "good"), *p2 = tu_install_plugin(d2, "good");
	free(tu_install_plugin(d2, "failsink"));
	char *search = malloc(strlen(d1) * 2 + strlen(d2) + 4);
	ck_assert_ptr_nonnull(search);
	sprintf(search, "%s:%s:%s", d1, d2, d1);   /* a repeated directory is read once */
	for (int run = 0; run < 2; run++) {        /* fresh, then from the cache */
		ck_assert_int_eq(load(search), 0);
		struct pv_plugin *a = plugin_at(p1), *b = plugin_at(p2);
		ck_assert_int_eq(a->status, run ? PV_PLUGIN_CACHED : PV_PLUGIN_LOADED);
		ck_assert_int_eq(b->status, PV_PLUGIN_SHADOWED);
		ck_assert_str_eq(pv_plugin_status_name(b->status), "shadowed");
		char *want = tu_join("shadowed by", p1);
		want[strlen("shadowed by")] = ' ';
		ck_assert_str_eq(b->error, want);
		free(want);
		ck_assert_ptr_eq(pv_plugin_find(h, "good"), a);
		ck_assert_ptr_null(b->handle);
		int n = 0;
		for (struct pv_plugin *p = h->plugins; p; p = p->next)
			n++;
		ck_assert_int_eq(n, 3);
		call_good();
	}
	free(d1), free(d2), free(p1), free(p2), free(search);
}
END_TEST

START_TEST(test_search_path_order)
{
	struct pv_host_opts o = { .home = home, .no_plugins = true, .verbosity = -1 };
	const char *sets[] = { "plugin_path=[\"/cfg/a\", \"/cfg/b\"]" };
	int code;
	o.sets = sets, o.nsets = 1;
	setenv("PAVED_PLUGIN_PATH", "/env/a:/env/b", 1);
	ck_assert_int_eq(pv_host_open(&o, &h, &err, &code), PAVED_OK);
	char *path = pv_plugin_path(h, "/flag");
	ck_assert_msg(strncmp(path, "/flag:/env/a:/env/b:/cfg/a:/cfg/b:", 34) == 0, "%s", path);
	/* run from the build tree: the build tree's plugins come last */
	ck_assert(tu_contains(path, "/plugins/sink/jsonl/.libs"));
	free(path);
}
END_TEST

START_TEST(test_empty_and_missing_dirs)
{
	ck_assert_int_eq(load(""), 0);
	ck_assert_ptr_null(h->plugins);
	ck_assert_int_eq(load("/nonexistent/paved/plugins"), 0);
	ck_assert_ptr_null(h->plugins);
	char *txt = tu_join(pdir, "README.txt");   /* not a plugin file: ignored */
	tu_write_file(txt, "hello\n");
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_ptr_null(h->plugins);
	free(txt);
}
END_TEST

/* Issue #12 defect 9: a plugin in a place other users can write ran as
 * root.  A plugin directory or file writable by others, or a file owned
 * by another non-root user, is refused with the reason; the plugins in
 * safe places still load.  Config files the same. */
START_TEST(test_unsafe_places_refused)
{
	char *open_dir = tu_join(tmp, "open"), *want = NULL;
	tu_mkdirs(open_dir, 0755);
	chmod(open_dir, 0777);
	free(tu_install_plugin(open_dir, "veto"));
	free(tu_install_plugin(pdir, "good"));
	char *both = NULL;
	ck_assert_int_ne(asprintf(&both, "%s:%s", pdir, open_dir), -1);
	ck_assert_int_eq(load(both), 0);
	char *veto = tu_join(open_dir, "veto.so");
	struct pv_plugin *p = plugin_at(veto);
	free(veto);
	ck_assert_int_eq(p->status, PV_PLUGIN_FAILED);
	ck_assert_int_ne(asprintf(&want, "refused: %s is writable by other users (mode 0777); fix "
	                          "it with 'chmod o-w %s'", open_dir, open_dir), -1);
	ck_assert_str_eq(p->error, want);
	ck_assert_int_eq(plugin_at("good.so")->status, PV_PLUGIN_LOADED);
	call_good();
	free(want), want = NULL;
	/* a world-writable file in a safe directory */
	char *file = tu_join(pdir, "good.so");
	chmod(file, 0666);
	ck_assert_int_eq(load(pdir), 0);
	ck_assert_int_ne(asprintf(&want, "refused: %s is writable by other users (mode 0666); fix "
	                          "it with 'chmod o-w %s'", file, file), -1);
	ck_assert_str_eq(plugin_at("good.so")->error, want);
	free(want), want = NULL;
	/* owned by another (non-root) user: only root can make one */
	if (geteuid() == 0) {
		chmod(file, 0644);
		ck_assert_int_eq(chown(file, 65534, 65534), 0);
		ck_assert_int_eq(load(pdir), 0);
		ck_assert_int_ne(asprintf(&want, "refused: %s is owned by another user (uid 65534); "
		                          "paved runs code and reads configuration only from files "
		                          "owned by root or by you", file), -1);
		ck_assert_str_eq(plugin_at("good.so")->error, want);
		free(want), want = NULL;
	}
	/* a config file others can write is refused (exit 2) */
	char *cfg = tu_join(home, "config.json");
	tu_mkdirs(home, 0700);
	tu_write_file(cfg, "{}\n");
	chmod(cfg, 0666);
	ck_assert_int_eq(load(""), PV_EXIT_USAGE);
	ck_assert_int_ne(asprintf(&want, "refused: %s is writable by other users (mode 0666); fix "
	                          "it with 'chmod o-w %s'", cfg, cfg), -1);
	ck_assert_str_eq(err, want);
	free(want), free(cfg), free(file), free(both), free(open_dir);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("faults");
	tcase_add_unchecked_fixture(tc, tu_base_setup, tu_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_plugin_reported_others_load, 0, NBAD);
	tcase_add_loop_test(tc, test_bad_plugin_strict, 0, NBAD);
	tcase_add_test(tc, test_strict_all_good);
	tcase_add_test(tc, test_same_name_twice);
	tcase_add_test(tc, test_plain_descriptor_name);
	tcase_add_test(tc, test_option_errors);
	tcase_add_test(tc, test_no_provider_lists_real_plugins);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_unchecked_fixture(tc, tu_base_setup, tu_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cache_lazy_load);
	tcase_add_test(tc, test_cache_invalidated_by_touch);
	tcase_add_test(tc, test_cache_invalidated_by_replace);
	tcase_add_test(tc, test_cached_conflict_still_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("search");
	tcase_add_unchecked_fixture(tc, tu_base_setup, tu_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shadowing);
	tcase_add_test(tc, test_search_path_order);
	tcase_add_test(tc, test_empty_and_missing_dirs);
	tcase_add_test(tc, test_unsafe_places_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loader_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
