/*
 * test_forge.c -- Check tests of the forge_local plugin, through a real
 * host opened on a temporary PAVED_HOME (and HOME: no git configuration,
 * as on a fresh machine).  Each error test asserts the exact message the
 * user sees and that nothing was left behind.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

static char tmp[4096];      /* the test's scratch directory */
static char home[4200];     /* PAVED_HOME inside it */
static char forge[4300];    /* PAVED_HOME/forge */
static pv_host *host;

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	return remove(p);
}

/* Open a host on HOME with the -c settings SETS (NULL-terminated). */
static void open_host(const char *const *sets)
{
	struct pv_host_opts o = { 0 };
	char *err = NULL;
	int code = 0;
	size_t n = 0;
	while (sets && sets[n])
		n++;
	o.home = home;
	o.plugin_path = FL_TEST_PLUGIN_DIR;
	o.sets = sets;
	o.nsets = n;
	if (host)
		pv_host_close(host);
	host = NULL;
	ck_assert_msg(pv_host_open(&o, &host, &err, &code) == PAVED_OK, "host: %s", err);
}

static void setup(void)
{
	snprintf(tmp, sizeof tmp, "%s/paved-forge-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(home, sizeof home, "%s/home", tmp);
	snprintf(forge, sizeof forge, "%s/forge", home);
	/* a machine with no git configuration at all */
	setenv("HOME", tmp, 1);
	setenv("XDG_CONFIG_HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("EMAIL");
	unsetenv("PAVED_PLUGIN_PATH");
	open_host(NULL);
}

static void teardown(void)
{
	pv_host_close(host);
	host = NULL;
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Call HOOK with ARGS (a JSON text).  Returns the status; *RES and *ERR
 * (either may be NULL) get the result and message, owned by the caller. */
static int call(const char *hook, const char *args, json_t **res, char **err)
{
	json_t *a = json_loads(args, 0, NULL), *r = NULL;
	char *e = NULL;
	ck_assert_msg(a != NULL, "bad test JSON %s", args);
	int rc = pv_call(host, hook, a, &r, &e);
	json_decref(a);
	if (res)
		*res = r;
	else
		json_decref(r);
	if (err)
		*err = e;
	else
		free(e);
	return rc;
}

/* Expect HOOK(ARGS) to fail with exactly MESSAGE. */
static void expect_error(const char *hook, const char *args, const char *message)
{
	char *err = NULL;
	json_t *res = NULL;
	int rc = call(hook, args, &res, &err);
	ck_assert_int_eq(rc, PAVED_ERR);
	ck_assert_ptr_null(res);
	ck_assert_str_eq(err, message);
	free(err);
}

/* Run ARGV, returning its exit status; its stdout (trimmed of trailing
 * newlines) goes to OUT when not NULL. */
static int run(char *out, size_t outsz, char *const argv[])
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	size_t len = 0;
	char junk[4096];
	ssize_t n;
	while ((n = read(p[0], out && len + 1 < outsz ? out + len : junk,
	                 out && len + 1 < outsz ? outsz - 1 - len : sizeof junk)) > 0)
		if (out && len + 1 < outsz)
			len += (size_t)n;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	if (out) {
		out[len] = '\0';
		while (len && out[len - 1] == '\n')
			out[--len] = '\0';
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Make TMP/NAME holding 20 files (some in subdirectories).  PATH gets it. */
static void make_workdir(const char *name, char *path, size_t sz)
{
	char p[8192];
	snprintf(path, sz, "%s/%s", tmp, name);
	ck_assert_int_eq(mkdir(path, 0777), 0);
	snprintf(p, sizeof p, "%s/src", path);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	snprintf(p, sizeof p, "%s/test", path);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "%s/%s/file%02d.txt", path,
		         i < 10 ? "src" : i < 18 ? "test" : ".", i);
		FILE *f = fopen(p, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "file %d of %s\n", i, name);
		fclose(f);
	}
}

static bool exists(const char *fmt, const char *a)
{
	char p[16384];
	struct stat st;
	snprintf(p, sizeof p, fmt, a);
	return lstat(p, &st) == 0;
}

/* Number of entries in the forge (0 when it does not exist). */
static int forge_entries(void)
{
	DIR *d = opendir(forge);
	struct dirent *de;
	int n = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The last event recorded, as a new reference. */
static json_t *last_event(void)
{
	json_t *a = pv_events_tail(host, 1);
	json_t *e = json_incref(json_array_get(a, 0));
	json_decref(a);
	return e;
}

START_TEST(create_20_files_and_clone)
{
	char dir[4200], args[8192], out[8192], url[4500], clone[4200], p[4400];
	json_t *res = NULL;
	char *err = NULL;
	make_workdir("payment-api", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"payment-api\", \"dir\": \"%s\", "
	         "\"description\": \"Payments\"}", dir);
	ck_assert_msg(call("forge.create", args, &res, &err) == PAVED_OK, "%s", err);

	snprintf(p, sizeof p, "%s/payment-api.git", forge);
	snprintf(url, sizeof url, "file://%s", p);
	ck_assert_str_eq(json_string_value(json_object_get(res, "url")), url);
	ck_assert_str_eq(json_string_value(json_object_get(res, "path")), p);
	ck_assert_str_eq(json_string_value(json_object_get(res, "default_branch")), "main");
	const char *sha = json_string_value(json_object_get(res, "head"));
	ck_assert_uint_eq(strlen(sha), 40);
	/* this test program is not paved: no push-to-deploy hook */
	ck_assert(json_is_false(json_object_get(res, "push_deploys")));
	ck_assert(!exists("%s/hooks/post-receive", p));
	ck_assert_uint_eq(json_object_size(res), 5);

	/* the bare repository: sound, on main, described */
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "--git-dir", p, "rev-parse",
	                     "HEAD", NULL }), 0);
	ck_assert_str_eq(out, sha);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "--git-dir", p, "fsck",
	                     "--strict", "--no-progress", NULL }), 0);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "--git-dir", p,
	                     "rev-parse", "--is-bare-repository", NULL }), 0);
	ck_assert_str_eq(out, "true");
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "--git-dir", p,
	                     "config", "--get-regexp", "^remote\\.", NULL }), 1);
	ck_assert(exists("%s/description", p));

	/* a clone through the URL has the 20 files and the one commit */
	snprintf(clone, sizeof clone, "%s/clone", tmp);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "clone", "-q", url, clone, NULL }), 0);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", clone, "rev-list",
	                     "--count", "HEAD", NULL }), 0);
	ck_assert_str_eq(out, "1");
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", clone, "rev-parse",
	                     "HEAD", NULL }), 0);
	ck_assert_str_eq(out, sha);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", clone, "ls-files",
	                     NULL }), 0);
	int files = 0;
	for (char *s = out; *s; s++)
		files += *s == '\n';
	ck_assert_int_eq(files + 1, 20);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", clone, "log", "-1",
	                     "--format=%an <%ae>|%cn <%ce>|%s", NULL }), 0);
	ck_assert_str_eq(out, "paved <paved@localhost>|paved <paved@localhost>|"
	                 "Initial commit from paved");
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "cmp", "-s", (snprintf(p, sizeof p,
	                     "%s/src/file03.txt", dir), p), (snprintf(out, sizeof out,
	                     "%s/src/file03.txt", clone), out), NULL }), 0);

	/* the working copy: clean, origin set, main tracks origin/main */
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", dir, "status",
	                     "--porcelain", "--branch", NULL }), 0);
	ck_assert_str_eq(out, "## main...origin/main");
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", dir, "remote",
	                     "get-url", "origin", NULL }), 0);
	ck_assert_str_eq(out, url);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", dir, "rev-parse",
	                     "@{upstream}", NULL }), 0);
	ck_assert_str_eq(out, sha);
	/* and it can push a second commit there */
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "-C", dir, "-c", "user.name=t",
	                     "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "2",
	                     NULL }), 0);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "-C", dir, "push", "-q", NULL }), 0);

	json_t *ev = last_event();
	ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "forge.repository.created");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "data"), "url")), url);
	json_decref(ev);
	json_decref(res);
}
END_TEST

/* Unsafe names are refused before anything is created. */
static const char *const bad_names[] = { "../x", "Payment API", NULL /* 200 chars */,
                                         "x/y", "-x", "9lives", "" };

START_TEST(refuse_unsafe_name)
{
	char dir[4200], args[8192], msg[8192], name[256];
	const char *nm = bad_names[_i];
	if (!nm) {
		memset(name, 'a', 200);
		name[200] = '\0';
		nm = name;
	}
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"%s\", \"dir\": \"%s\"}", nm, dir);
	snprintf(msg, sizeof msg, "forge_local: forge.driver.local.create: invalid repository name '%s': "
	         "use lowercase letters, digits and '-' (max 63)", nm);
	expect_error("forge.create", args, msg);
	ck_assert(!exists("%s/.git", dir));
	ck_assert_int_eq(forge_entries(), 0);
	snprintf(args, sizeof args, "{\"name\": \"%s\"}", nm);
	snprintf(msg, sizeof msg, "forge_local: forge.driver.local.delete: invalid repository name "
	         "'%s': use lowercase letters, digits and '-' (max 63)", nm);
	expect_error("forge.delete", args, msg);
}
END_TEST

START_TEST(longest_name)
{
	char dir[4200], args[8192], name[80];
	memset(name, 'a', 63);
	name[63] = '\0';
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"%s\", \"dir\": \"%s\"}", name, dir);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
	name[63] = 'a';
	name[64] = '\0';
	snprintf(args, sizeof args, "{\"name\": \"%s\", \"dir\": \"%s\"}", name, dir);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_ERR);
}
END_TEST

START_TEST(refuse_existing_name)
{
	char one[4200], two[4200], args[8192], msg[8192], out[256], p[8192];
	json_t *res;
	make_workdir("one", one, sizeof one);
	make_workdir("two", two, sizeof two);
	snprintf(args, sizeof args, "{\"name\": \"payment-api\", \"dir\": \"%s\"}", one);
	ck_assert_int_eq(call("forge.create", args, &res, NULL), PAVED_OK);
	snprintf(args, sizeof args, "{\"name\": \"payment-api\", \"dir\": \"%s\"}", two);
	snprintf(msg, sizeof msg, "forge_local: forge.driver.local.create: repository 'payment-api' already "
	         "exists at %s/payment-api.git", forge);
	expect_error("forge.create", args, msg);
	ck_assert(!exists("%s/.git", two));
	ck_assert_int_eq(forge_entries(), 1);
	/* the first one is untouched */
	snprintf(p, sizeof p, "%s/payment-api.git", forge);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "--git-dir", p, "rev-parse",
	                     "HEAD", NULL }), 0);
	ck_assert_str_eq(out, json_string_value(json_object_get(res, "head")));
	json_decref(res);
}
END_TEST

START_TEST(refuse_bad_arguments)
{
	char dir[4200], args[8192], msg[8192];
	make_workdir("svc", dir, sizeof dir);
	expect_error("forge.create", "{\"dir\": \"/tmp\"}",
	             "forge_local: forge.driver.local.create: argument 'name' (a string) is required");
	expect_error("forge.create", "{\"name\": \"x\"}",
	             "forge_local: forge.driver.local.create: argument 'dir' (an absolute path) is required");
	expect_error("forge.create", "{\"name\": \"x\", \"dir\": \"rel/dir\"}",
	             "forge_local: forge.driver.local.create: argument 'dir' must be an absolute path, "
	             "not 'rel/dir'");
	expect_error("forge.create", "{\"name\": \"x\", \"dir\": \"/nonexistent/dir\"}",
	             "forge_local: forge.driver.local.create: cannot use working copy /nonexistent/dir: "
	             "No such file or directory");
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\", \"colour\": 1}", dir);
	expect_error("forge.create", args, "forge_local: forge.driver.local.create: unknown argument 'colour'");
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\", \"branch\": \"b\"}", dir);
	expect_error("forge.create", args, "forge_local: forge.driver.local.create: unknown argument 'branch'");
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\", \"message\": \"\"}", dir);
	expect_error("forge.create", args, "forge_local: forge.driver.local.create: argument 'message' must "
	             "be a non-empty string");
	ck_assert(!exists("%s/.git", dir));
	ck_assert_int_eq(forge_entries(), 0);
	/* a directory that already is a repository */
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "init", "-q", dir, NULL }), 0);
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\"}", dir);
	snprintf(msg, sizeof msg, "forge_local: forge.driver.local.create: %s is already a git repository "
	         "(it has a .git); the forge makes the initial commit itself", dir);
	expect_error("forge.create", args, msg);
	ck_assert_int_eq(forge_entries(), 0);
}
END_TEST

START_TEST(author_branch_and_message)
{
	char dir[4200], args[8192], out[512], clone[4200];
	json_t *res;
	const char *sets[] = { "plugins.forge_local.default_branch=trunk",
	                       "plugins.forge_local.author=Ada Lovelace <ada@example.org>", NULL };
	open_host(sets);
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\", \"message\": \"hello\"}",
	         dir);
	ck_assert_int_eq(call("forge.create", args, &res, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(res, "default_branch")), "trunk");
	snprintf(clone, sizeof clone, "%s/clone", tmp);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "clone", "-q", (char *)
	                 json_string_value(json_object_get(res, "url")), clone, NULL }), 0);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", clone, "log", "-1",
	                     "--format=%an <%ae>|%s|%D", NULL }), 0);
	ck_assert_str_eq(out, "Ada Lovelace <ada@example.org>|hello|HEAD -> trunk, "
	                 "origin/trunk, origin/HEAD");
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "-C", dir, "status",
	                     "--porcelain", "--branch", NULL }), 0);
	ck_assert_str_eq(out, "## trunk...origin/trunk");
	json_decref(res);
}
END_TEST

START_TEST(bad_options)
{
	char dir[4200], args[8192];
	const char *sets[] = { "plugins.forge_local.author=nobody", NULL };
	const char *sets2[] = { "plugins.forge_local.default_branch=a..b", NULL };
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\"}", dir);
	open_host(sets);
	expect_error("forge.create", args, "forge_local: forge.driver.local.create: invalid author "
	             "'nobody' in plugins.forge_local.author: use \"Name <email>\"");
	open_host(sets2);
	expect_error("forge.create", args, "forge_local: forge.driver.local.create: invalid branch "
	             "name 'a..b' in plugins.forge_local.default_branch: use letters, digits, '.', "
	             "'_', '-' and '/'");
	ck_assert(!exists("%s/.git", dir));
	ck_assert_int_eq(forge_entries(), 0);
}
END_TEST

START_TEST(author_option)
{
	char dir[4200], args[8192], out[512], p[8192];
	const char *sets[] = { "plugins.forge_local.author=Grace <grace@example.org>", NULL };
	open_host(sets);
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
	snprintf(p, sizeof p, "%s/svc.git", forge);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "--git-dir", p, "log", "-1",
	                     "--format=%an <%ae>", NULL }), 0);
	ck_assert_str_eq(out, "Grace <grace@example.org>");
}
END_TEST

/* A git that fails at the commit: everything made before is removed. */
START_TEST(failure_midway_leaves_nothing)
{
	char dir[4200], args[8192], script[4200], set[8192];
	snprintf(script, sizeof script, "%s/fakegit", tmp);
	FILE *f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\n"
	      "for a in \"$@\"; do\n"
	      "  if [ \"$a\" = commit ]; then\n"
	      "    echo 'warning: about to fail' >&2\n"
	      "    echo 'fatal: simulated failure' >&2\n"
	      "    echo 'hint: none' >&2\n"
	      "    exit 128\n"
	      "  fi\n"
	      "done\n"
	      "exec git \"$@\"\n", f);
	fclose(f);
	chmod(script, 0755);
	snprintf(set, sizeof set, "plugins.forge_local.git=%s", script);
	const char *sets[] = { set, NULL };
	open_host(sets);
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	expect_error("forge.create", args,
	             "forge_local: forge.driver.local.create: git commit failed: fatal: simulated failure");
	ck_assert(!exists("%s/.git", dir));
	ck_assert_int_eq(forge_entries(), 0);
	ck_assert(exists("%s/src/file01.txt", dir));
}
END_TEST

START_TEST(git_missing)
{
	char dir[4200], args[8192];
	const char *sets[] = { "plugins.forge_local.git=/nonexistent/git", NULL };
	open_host(sets);
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	expect_error("forge.create", args,
	             "forge_local: forge.driver.local.create: cannot run git ('/nonexistent/git'): No such "
	             "file or directory; install git or set the option plugins.forge_local.git");
	ck_assert(!exists("%s/.git", dir));
	ck_assert_int_eq(forge_entries(), 0);
}
END_TEST

START_TEST(delete_and_list)
{
	char a[4200], b[4200], args[8192], p[4400];
	json_t *res;
	make_workdir("a", a, sizeof a);
	make_workdir("b", b, sizeof b);
	ck_assert_int_eq(call("forge.list", "{}", &res, NULL), PAVED_OK);
	ck_assert_uint_eq(json_array_size(res), 0);
	json_decref(res);
	snprintf(args, sizeof args, "{\"name\": \"zeta\", \"dir\": \"%s\"}", a);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
	snprintf(args, sizeof args, "{\"name\": \"alpha\", \"dir\": \"%s\"}", b);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);

	ck_assert_int_eq(call("forge.list", "{}", &res, NULL), PAVED_OK);
	ck_assert_uint_eq(json_array_size(res), 2);
	json_t *first = json_array_get(res, 0);
	snprintf(p, sizeof p, "%s/alpha.git", forge);
	ck_assert_str_eq(json_string_value(json_object_get(first, "name")), "alpha");
	ck_assert_str_eq(json_string_value(json_object_get(first, "path")), p);
	snprintf(args, sizeof args, "file://%s", p);
	ck_assert_str_eq(json_string_value(json_object_get(first, "url")), args);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(res, 1), "name")), "zeta");
	json_decref(res);

	ck_assert_int_eq(call("forge.delete", "{\"name\": \"alpha\"}", &res, NULL), PAVED_OK);
	ck_assert(json_is_true(json_object_get(res, "deleted")));
	ck_assert_uint_eq(json_object_size(res), 1);
	json_decref(res);
	ck_assert(!exists("%s", p));
	ck_assert_int_eq(forge_entries(), 1);
	json_t *ev = last_event();
	ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "forge.repository.deleted");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "data"), "name")),
	                 "alpha");
	json_decref(ev);

	/* the name is free again */
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "rm", "-rf", (snprintf(p, sizeof p, "%s/.git",
	                 b), p), NULL }), 0);
	snprintf(args, sizeof args, "{\"name\": \"alpha\", \"dir\": \"%s\"}", b);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
}
END_TEST

START_TEST(delete_missing)
{
	expect_error("forge.delete", "{\"name\": \"ghost\"}",
	             "forge_local: forge.driver.local.delete: no repository 'ghost'");
	expect_error("forge.delete", "{}",
	             "forge_local: forge.driver.local.delete: argument 'name' (a string) is required");
	ck_assert_int_eq(forge_entries(), 0);
}
END_TEST

/* Commit a change to FILE in working copy DIR and push it; OUT gets the new sha. */
static void commit_push(const char *dir, const char *file, const char *text, char *out, size_t n)
{
	char p[8192];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "-C", (char *)dir, "add", "-A", NULL }), 0);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "-C", (char *)dir, "-c", "user.name=Bo",
	                     "-c", "user.email=bo@example.org", "commit", "-q", "-m", (char *)text,
	                     NULL }), 0);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "-C", (char *)dir, "push", "-q", NULL }), 0);
	ck_assert_int_eq(run(out, n, (char *[]){ "git", "-C", (char *)dir, "rev-parse", "HEAD",
	                     NULL }), 0);
}

START_TEST(info_resolve_checkout)
{
	char dir[4200], args[8192], first[64], second[64], co[4300], p[8192], out[256];
	json_t *res;
	char *err = NULL;
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	ck_assert_int_eq(call("forge.create", args, &res, NULL), PAVED_OK);
	snprintf(first, sizeof first, "%s", json_string_value(json_object_get(res, "head")));
	json_decref(res);
	commit_push(dir, "src/file01.txt", "second version", second, sizeof second);

	/* info: the live repository and its head */
	ck_assert_int_eq(call("forge.info", "{\"name\": \"svc\"}", &res, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(res, "head")), second);
	ck_assert_str_eq(json_string_value(json_object_get(res, "default_branch")), "main");
	ck_assert(json_is_false(json_object_get(res, "archived")));
	json_decref(res);
	expect_error("forge.info", "{\"name\": \"ghost\"}",
	             "forge_local: forge.driver.local.info: no repository 'ghost'");

	/* resolve: the default branch, a sha prefix, a tag, a relative ref */
	ck_assert_msg(call("forge.resolve", "{\"name\": \"svc\"}", &res, &err) == PAVED_OK, "%s", err);
	ck_assert_str_eq(json_string_value(json_object_get(res, "sha")), second);
	ck_assert_int_eq(strncmp(json_string_value(json_object_get(res, "short")), second, 12), 0);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(res, "short"))), 12);
	ck_assert_str_eq(json_string_value(json_object_get(res, "ref")), "main");
	ck_assert_str_eq(json_string_value(json_object_get(res, "author")), "Bo <bo@example.org>");
	ck_assert_str_eq(json_string_value(json_object_get(res, "subject")), "second version");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(res, "committed_at")));
	json_decref(res);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"ref\": \"%.7s\"}", first);
	ck_assert_int_eq(call("forge.resolve", args, &res, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(res, "sha")), first);
	json_decref(res);
	ck_assert_int_eq(call("forge.resolve", "{\"name\": \"svc\", \"ref\": \"main~1\"}", &res, NULL),
	                 PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(res, "sha")), first);
	json_decref(res);
	snprintf(p, sizeof p, "%s/svc.git", forge);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "--git-dir", p, "tag", "v1", first, NULL }), 0);
	ck_assert_int_eq(call("forge.resolve", "{\"name\": \"svc\", \"ref\": \"v1\"}", &res, NULL),
	                 PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(res, "sha")), first);
	json_decref(res);
	expect_error("forge.resolve", "{\"name\": \"svc\", \"ref\": \"nosuch\"}",
	             "forge_local: forge.driver.local.resolve: no commit 'nosuch' in repository 'svc'");
	expect_error("forge.resolve", "{\"name\": \"svc\", \"ref\": \"--output=/tmp/x\"}",
	             "forge_local: forge.driver.local.resolve: invalid ref '--output=/tmp/x': name a "
	             "branch, a tag or a commit");
	expect_error("forge.resolve", "{\"name\": \"svc\", \"ref\": \"a..b\"}",
	             "forge_local: forge.driver.local.resolve: invalid ref 'a..b': name a branch, a "
	             "tag or a commit");

	/* checkout: the files of the older commit, no .git, nothing else */
	snprintf(co, sizeof co, "%s/releases/one", tmp);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"ref\": \"%s\", \"dir\": \"%s\"}", first, co);
	ck_assert_msg(call("forge.checkout", args, &res, &err) == PAVED_OK, "%s", err);
	ck_assert_str_eq(json_string_value(json_object_get(res, "sha")), first);
	json_decref(res);
	ck_assert(!exists("%s/.git", co));
	ck_assert(!exists("%s.index", co));
	snprintf(p, sizeof p, "%s/src/file01.txt", co);
	FILE *f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(out, sizeof out, f));
	fclose(f);
	ck_assert_str_eq(out, "file 1 of svc\n");
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "sh", "-c", (snprintf(p, sizeof p,
	                     "find '%s' -type f | wc -l", co), p), NULL }), 0);
	ck_assert_str_eq(out, "20");
	/* the repository was not touched: no index, HEAD still main */
	snprintf(p, sizeof p, "%s/svc.git/index", forge);
	ck_assert(!exists("%s", p));
}
END_TEST

START_TEST(checkout_refusals)
{
	char dir[4200], args[8192], co[4300], msg[8192];
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
	/* DIR exists: refused, left alone */
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	snprintf(msg, sizeof msg, "forge_local: forge.driver.local.checkout: cannot check out into "
	         "%s: it already exists", dir);
	expect_error("forge.checkout", args, msg);
	ck_assert(exists("%s/src/file01.txt", dir));
	/* an unknown ref: nothing made */
	snprintf(co, sizeof co, "%s/co", tmp);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"ref\": \"nope\", \"dir\": \"%s\"}", co);
	expect_error("forge.checkout", args, "forge_local: forge.driver.local.checkout: no commit "
	             "'nope' in repository 'svc'");
	ck_assert(!exists("%s", co));
	expect_error("forge.checkout", "{\"name\": \"svc\", \"dir\": \"rel\"}",
	             "forge_local: forge.driver.local.checkout: argument 'dir' (an absolute path that "
	             "does not exist yet) is required");
	snprintf(args, sizeof args, "{\"name\": \"ghost\", \"dir\": \"%s\"}", co);
	expect_error("forge.checkout", args, "forge_local: forge.driver.local.checkout: no "
	             "repository 'ghost'");
	ck_assert(!exists("%s", co));
}
END_TEST

START_TEST(archive)
{
	char dir[4200], args[8192], clone[4300], p[8192], out[512];
	json_t *res;
	char *err = NULL;
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
	ck_assert_msg(call("forge.archive", "{\"name\": \"svc\"}", &res, &err) == PAVED_OK, "%s", err);
	ck_assert(json_is_true(json_object_get(res, "archived")));
	const char *path = json_string_value(json_object_get(res, "path"));
	snprintf(p, sizeof p, "%s/archive/svc.", forge);
	ck_assert_int_eq(strncmp(path, p, strlen(p)), 0);
	snprintf(clone, sizeof clone, "%s", path);
	json_decref(res);
	/* gone from the list and from its name; info says archived */
	ck_assert(!exists("%s/svc.git", forge));
	ck_assert_int_eq(call("forge.list", "{}", &res, NULL), PAVED_OK);
	ck_assert_uint_eq(json_array_size(res), 0);
	json_decref(res);
	ck_assert_int_eq(call("forge.info", "{\"name\": \"svc\"}", &res, NULL), PAVED_OK);
	ck_assert(json_is_true(json_object_get(res, "archived")));
	ck_assert_str_eq(json_string_value(json_object_get(res, "path")), clone);
	json_decref(res);
	/* still readable, refuses pushes, no post-receive */
	snprintf(p, sizeof p, "%s/c", tmp);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "clone", "-q", clone, p, NULL }), 0);
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "-C", p, "-c", "user.name=t", "-c",
	                     "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x", NULL }), 0);
	ck_assert_int_ne(run(NULL, 0, (char *[]){ "git", "-C", p, "push", "-q", NULL }), 0);
	ck_assert(!exists("%s/hooks/post-receive", clone));
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "stat", "-c", "%A", clone, NULL }), 0);
	ck_assert_ptr_null(strchr(out, 'w'));
	/* a second archive and a delete find no repository; the name is free */
	expect_error("forge.archive", "{\"name\": \"svc\"}",
	             "forge_local: forge.driver.local.archive: no repository 'svc'");
	expect_error("forge.delete", "{\"name\": \"svc\"}",
	             "forge_local: forge.driver.local.delete: no repository 'svc'");
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "rm", "-rf", (snprintf(p, sizeof p, "%s/.git",
	                 dir), p), NULL }), 0);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
	/* let the teardown remove the read-only archive */
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "chmod", "-R", "u+w", clone, NULL }), 0);
}
END_TEST

/* The post-receive hook: with plugins.forge_local.paved naming a script
 * standing in for paved, a push to main runs it in the background with the
 * deploy arguments; a push to another branch does not. */
START_TEST(post_receive_hook)
{
	char dir[4200], args[8192], script[4300], set[8400], sha[64], want[8192], got[8192];
	json_t *res;
	snprintf(script, sizeof script, "%s/fake paved's", tmp);   /* a path that needs quoting */
	FILE *f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\necho \"$*|${GIT_DIR:-unset}\" > \"$(dirname \"$0\")/called.tmp\"\n"
	        "mv \"$(dirname \"$0\")/called.tmp\" \"$(dirname \"$0\")/called\"\n");
	fclose(f);
	chmod(script, 0755);
	snprintf(set, sizeof set, "plugins.forge_local.paved=%s", script);
	const char *sets[] = { set, NULL };
	open_host(sets);
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	ck_assert_int_eq(call("forge.create", args, &res, NULL), PAVED_OK);
	ck_assert(json_is_true(json_object_get(res, "push_deploys")));
	json_decref(res);
	ck_assert(exists("%s/svc.git/hooks/post-receive", forge));

	/* another branch: no deploy */
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "-C", dir, "push", "-q", "origin",
	                     "main:other", NULL }), 0);
	commit_push(dir, "x.txt", "two", sha, sizeof sha);
	snprintf(want, sizeof want, "--home %s deploy svc --env dev --version %s --trigger push|unset",
	         home, sha);
	snprintf(got, sizeof got, "%s/called", tmp);
	for (int i = 0; i < 500 && !exists("%s", got); i++)
		usleep(10000);   /* the hook runs it in the background: poll, 5 s at most */
	f = fopen(got, "r");
	ck_assert_msg(f != NULL, "the post-receive hook did not run the paved stand-in");
	ck_assert_ptr_nonnull(fgets(got, sizeof got, f));
	fclose(f);
	got[strcspn(got, "\n")] = '\0';
	ck_assert_str_eq(got, want);
	snprintf(got, sizeof got, "%s/logs/push/svc.log", home);
	ck_assert(exists("%s", got));
}
END_TEST

/* Not an assertion on time (machines differ): prints the median of 9
 * creations of a 20-file repository, for the README and issue 3. */
START_TEST(timing_20_files)
{
	double t[9];
	for (int i = 0; i < 9; i++) {
		char dir[4200], name[32], args[8192];
		snprintf(name, sizeof name, "svc-%d", i);
		make_workdir(name, dir, sizeof dir);
		snprintf(args, sizeof args, "{\"name\": \"%s\", \"dir\": \"%s\"}", name, dir);
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		ck_assert_int_eq(call("forge.create", args, NULL, NULL), PAVED_OK);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	for (int i = 1; i < 9; i++)  /* insertion sort */
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			double x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	printf("forge.create, 20 files: median %.1f ms, min %.1f ms (9 runs, 4 git processes)\n",
	       t[4], t[0]);
}
END_TEST

static Suite *forge_suite(void)
{
	Suite *s = suite_create("forge_local");
	TCase *tc = tcase_create("forge");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_20_files_and_clone);
	tcase_add_loop_test(tc, refuse_unsafe_name, 0, sizeof bad_names / sizeof bad_names[0]);
	tcase_add_test(tc, longest_name);
	tcase_add_test(tc, refuse_existing_name);
	tcase_add_test(tc, refuse_bad_arguments);
	tcase_add_test(tc, author_branch_and_message);
	tcase_add_test(tc, author_option);
	tcase_add_test(tc, bad_options);
	tcase_add_test(tc, info_resolve_checkout);
	tcase_add_test(tc, checkout_refusals);
	tcase_add_test(tc, archive);
	tcase_add_test(tc, post_receive_hook);
	tcase_add_test(tc, failure_midway_leaves_nothing);
	tcase_add_test(tc, git_missing);
	tcase_add_test(tc, delete_and_list);
	tcase_add_test(tc, delete_missing);
	tcase_add_test(tc, timing_20_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(forge_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
