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
	ck_assert_msg(call("forge.local", args, &res, &err) == PAVED_OK, "%s", err);

	snprintf(p, sizeof p, "%s/payment-api.git", forge);
	snprintf(url, sizeof url, "file://%s", p);
	ck_assert_str_eq(json_string_value(json_object_get(res, "url")), url);
	ck_assert_str_eq(json_string_value(json_object_get(res, "path")), p);
	ck_assert_str_eq(json_string_value(json_object_get(res, "branch")), "main");
	const char *sha = json_string_value(json_object_get(res, "commit"));
	ck_assert_uint_eq(strlen(sha), 40);
	ck_assert_uint_eq(json_object_size(res), 4);

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
	snprintf(msg, sizeof msg, "forge_local: forge.local: invalid repository name '%s': "
	         "use lowercase letters, digits and '-' (max 63)", nm);
	expect_error("forge.local", args, msg);
	ck_assert(!exists("%s/.git", dir));
	ck_assert_int_eq(forge_entries(), 0);
	snprintf(args, sizeof args, "{\"name\": \"%s\"}", nm);
	snprintf(msg, sizeof msg, "forge_local: forge.local.delete: invalid repository name "
	         "'%s': use lowercase letters, digits and '-' (max 63)", nm);
	expect_error("forge.local.delete", args, msg);
}
END_TEST

START_TEST(longest_name)
{
	char dir[4200], args[8192], name[80];
	memset(name, 'a', 63);
	name[63] = '\0';
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"%s\", \"dir\": \"%s\"}", name, dir);
	ck_assert_int_eq(call("forge.local", args, NULL, NULL), PAVED_OK);
	name[63] = 'a';
	name[64] = '\0';
	snprintf(args, sizeof args, "{\"name\": \"%s\", \"dir\": \"%s\"}", name, dir);
	ck_assert_int_eq(call("forge.local", args, NULL, NULL), PAVED_ERR);
}
END_TEST

START_TEST(refuse_existing_name)
{
	char one[4200], two[4200], args[8192], msg[8192], out[256], p[8192];
	json_t *res;
	make_workdir("one", one, sizeof one);
	make_workdir("two", two, sizeof two);
	snprintf(args, sizeof args, "{\"name\": \"payment-api\", \"dir\": \"%s\"}", one);
	ck_assert_int_eq(call("forge.local", args, &res, NULL), PAVED_OK);
	snprintf(args, sizeof args, "{\"name\": \"payment-api\", \"dir\": \"%s\"}", two);
	snprintf(msg, sizeof msg, "forge_local: forge.local: repository 'payment-api' already "
	         "exists at %s/payment-api.git", forge);
	expect_error("forge.local", args, msg);
	ck_assert(!exists("%s/.git", two));
	ck_assert_int_eq(forge_entries(), 1);
	/* the first one is untouched */
	snprintf(p, sizeof p, "%s/payment-api.git", forge);
	ck_assert_int_eq(run(out, sizeof out, (char *[]){ "git", "--git-dir", p, "rev-parse",
	                     "HEAD", NULL }), 0);
	ck_assert_str_eq(out, json_string_value(json_object_get(res, "commit")));
	json_decref(res);
}
END_TEST

START_TEST(refuse_bad_arguments)
{
	char dir[4200], args[8192], msg[8192];
	make_workdir("svc", dir, sizeof dir);
	expect_error("forge.local", "{\"dir\": \"/tmp\"}",
	             "forge_local: forge.local: argument 'name' (a string) is required");
	expect_error("forge.local", "{\"name\": \"x\"}",
	             "forge_local: forge.local: argument 'dir' (an absolute path) is required");
	expect_error("forge.local", "{\"name\": \"x\", \"dir\": \"rel/dir\"}",
	             "forge_local: forge.local: argument 'dir' must be an absolute path, "
	             "not 'rel/dir'");
	expect_error("forge.local", "{\"name\": \"x\", \"dir\": \"/nonexistent/dir\"}",
	             "forge_local: forge.local: cannot use working copy /nonexistent/dir: "
	             "No such file or directory");
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\", \"colour\": 1}", dir);
	expect_error("forge.local", args, "forge_local: forge.local: unknown argument 'colour'");
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\", \"author\": \"nobody\"}",
	         dir);
	expect_error("forge.local", args, "forge_local: forge.local: invalid author 'nobody': "
	             "use \"Name <email>\"");
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\", \"branch\": \"a..b\"}",
	         dir);
	expect_error("forge.local", args, "forge_local: forge.local: invalid branch name "
	             "'a..b': use letters, digits, '.', '_', '-' and '/'");
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\", \"message\": \"\"}", dir);
	expect_error("forge.local", args, "forge_local: forge.local: argument 'message' must "
	             "be a non-empty string");
	ck_assert(!exists("%s/.git", dir));
	ck_assert_int_eq(forge_entries(), 0);
	/* a directory that already is a repository */
	ck_assert_int_eq(run(NULL, 0, (char *[]){ "git", "init", "-q", dir, NULL }), 0);
	snprintf(args, sizeof args, "{\"name\": \"x\", \"dir\": \"%s\"}", dir);
	snprintf(msg, sizeof msg, "forge_local: forge.local: %s is already a git repository "
	         "(it has a .git); forge.local makes the initial commit itself", dir);
	expect_error("forge.local", args, msg);
	ck_assert_int_eq(forge_entries(), 0);
}
END_TEST

START_TEST(author_branch_and_message)
{
	char dir[4200], args[8192], out[512], clone[4200];
	json_t *res;
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\", \"branch\": \"trunk\", "
	         "\"message\": \"hello\", \"author\": \"Ada Lovelace <ada@example.org>\"}", dir);
	ck_assert_int_eq(call("forge.local", args, &res, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(res, "branch")), "trunk");
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

START_TEST(author_option)
{
	char dir[4200], args[8192], out[512], p[8192];
	const char *sets[] = { "plugins.forge_local.author=Grace <grace@example.org>", NULL };
	open_host(sets);
	make_workdir("svc", dir, sizeof dir);
	snprintf(args, sizeof args, "{\"name\": \"svc\", \"dir\": \"%s\"}", dir);
	ck_assert_int_eq(call("forge.local", args, NULL, NULL), PAVED_OK);
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
	expect_error("forge.local", args,
	             "forge_local: forge.local: git commit failed: fatal: simulated failure");
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
	expect_error("forge.local", args,
	             "forge_local: forge.local: cannot run git ('/nonexistent/git'): No such "
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
	ck_assert_int_eq(call("forge.local.list", "{}", &res, NULL), PAVED_OK);
	ck_assert_uint_eq(json_array_size(res), 0);
	json_decref(res);
	snprintf(args, sizeof args, "{\"name\": \"zeta\", \"dir\": \"%s\"}", a);
	ck_assert_int_eq(call("forge.local", args, NULL, NULL), PAVED_OK);
	snprintf(args, sizeof args, "{\"name\": \"alpha\", \"dir\": \"%s\"}", b);
	ck_assert_int_eq(call("forge.local", args, NULL, NULL), PAVED_OK);

	ck_assert_int_eq(call("forge.local.list", "{}", &res, NULL), PAVED_OK);
	ck_assert_uint_eq(json_array_size(res), 2);
	json_t *first = json_array_get(res, 0);
	snprintf(p, sizeof p, "%s/alpha.git", forge);
	ck_assert_str_eq(json_string_value(json_object_get(first, "name")), "alpha");
	ck_assert_str_eq(json_string_value(json_object_get(first, "path")), p);
	snprintf(args, sizeof args, "file://%s", p);
	ck_assert_str_eq(json_string_value(json_object_get(first, "url")), args);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(res, 1), "name")), "zeta");
	json_decref(res);

	ck_assert_int_eq(call("forge.local.delete", "{\"name\": \"alpha\"}", &res, NULL), PAVED_OK);
	ck_assert_str_eq(json_string_value(json_object_get(res, "deleted")), p);
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
	ck_assert_int_eq(call("forge.local", args, NULL, NULL), PAVED_OK);
}
END_TEST

START_TEST(delete_missing)
{
	expect_error("forge.local.delete", "{\"name\": \"ghost\"}",
	             "forge_local: forge.local.delete: no repository 'ghost'");
	expect_error("forge.local.delete", "{}",
	             "forge_local: forge.local.delete: argument 'name' (a string) is required");
	ck_assert_int_eq(forge_entries(), 0);
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
		ck_assert_int_eq(call("forge.local", args, NULL, NULL), PAVED_OK);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	for (int i = 1; i < 9; i++)  /* insertion sort */
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			double x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	printf("forge.local, 20 files: median %.1f ms, min %.1f ms (9 runs, 4 git processes)\n",
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
