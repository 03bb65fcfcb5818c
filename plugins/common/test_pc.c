/*
 * test_pc.c -- the helpers the bundled plugins share (pc.h).  The dropped
 * result of pc_call is freed: the sanitizer build's leak check says so.
 */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pc.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s/pc-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	pc_rmtree(dir);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

START_TEST(test_printf)
{
	char *s = pc_printf("%s/%d", "a", 42);
	ck_assert_str_eq(s, "a/42");
	free(s);
}
END_TEST

START_TEST(test_mkdir_p)
{
	char *deep = pc_printf("%s/a/b/c", dir), *file = pc_printf("%s/f", dir);
	char *under = pc_printf("%s/f/x", dir);
	ck_assert_int_eq(pc_mkdir_p(deep, 0755), 0);
	ck_assert(is_dir(deep));
	ck_assert_int_eq(pc_mkdir_p(deep, 0755), 0);          /* it exists: fine */
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	errno = 0;
	ck_assert_int_eq(pc_mkdir_p(under, 0755), -1);       /* a file in the way */
	ck_assert_int_eq(errno, ENOTDIR);
	free(deep), free(file), free(under);
}
END_TEST

START_TEST(test_rmtree)
{
	char *tree = pc_printf("%s/t", dir), *deep = pc_printf("%s/t/x/y", dir);
	char *keep = pc_printf("%s/keep", dir), *kept = pc_printf("%s/keep/k", dir);
	char *link = pc_printf("%s/t/x/to-keep", dir);
	ck_assert_int_eq(pc_mkdir_p(deep, 0755), 0);
	ck_assert_int_eq(pc_mkdir_p(kept, 0755), 0);
	ck_assert_int_eq(symlink(keep, link), 0);
	ck_assert_int_eq(pc_rmtree(tree), 0);
	ck_assert(!is_dir(tree));
	ck_assert(is_dir(kept));                              /* the link was not followed */
	ck_assert_int_eq(pc_rmtree(tree), 0);                 /* missing: fine */
	free(tree), free(deep), free(keep), free(kept), free(link);
}
END_TEST

START_TEST(test_write_read)
{
	char *f = pc_printf("%s/secret", dir), *planted = pc_printf("%s/planted", dir);
	FILE *p = fopen(planted, "w");
	ck_assert_ptr_nonnull(p);
	fclose(p);
	ck_assert_int_eq(symlink(planted, f), 0);              /* a link at the path */
	ck_assert_int_eq(pc_write_file(f, "s3cr3t\n", 7, 0600), 0);
	struct stat st;
	ck_assert_int_eq(lstat(f, &st), 0);
	ck_assert(S_ISREG(st.st_mode));                        /* replaced, not followed */
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	char *t = pc_read_file(f), *e = pc_read_file(planted);
	ck_assert_str_eq(t, "s3cr3t\n");
	ck_assert_str_eq(e, "");
	free(t), free(e);
	errno = 0;
	ck_assert_ptr_null(pc_read_file("/nonexistent/x"));
	ck_assert_int_eq(errno, ENOENT);
	char *bad = pc_printf("%s/no/such/dir/f", dir);
	ck_assert_int_eq(pc_write_file(bad, "x", 1, 0600), -1);
	ck_assert_int_eq(errno, ENOENT);
	free(f), free(planted), free(bad);
}
END_TEST

START_TEST(test_text_random_ports)
{
	char *l = pc_last_line("one\ntwo \n\n");
	ck_assert_str_eq(l, "two");
	free(l);
	l = pc_last_line(NULL);
	ck_assert_str_eq(l, "");
	free(l);
	char a[49], b[49];
	ck_assert_int_eq(pc_random_hex(a, 24), 0);
	ck_assert_int_eq(pc_random_hex(b, 24), 0);
	ck_assert_int_eq(strlen(a), 48);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(pc_random_hex(a, 65), -1);
	int port = pc_free_port();
	ck_assert_int_gt(port, 0);
	ck_assert(!pc_port_taken(port));
}
END_TEST

START_TEST(test_sysdir)
{
	char *home = pc_printf("%s/home", dir), *slash = pc_printf("%s/home/", dir);
	char *link = pc_printf("%s/home/provision/pg", dir);
	ck_assert_int_eq(pc_mkdir_p(home, 0700), 0);
	char *a = pc_sysdir("test", home), *b = pc_sysdir("test", slash);
	ck_assert_str_eq(a, b);                                /* one home, however typed */
	ck_assert(strncmp(a, "/var/lib/paved/test-", 20) == 0);
	free(a), free(b);
	/* pc_sysdir_make needs /var/lib/paved: only root may write there */
	if (geteuid() == 0) {
		char *d = pc_sysdir("pctest", home);
		ck_assert_int_eq(pc_sysdir_make(d, slash, link, 0, 0), 0);
		char *f = pc_sysdir_find("pctest", home, link);
		ck_assert_str_eq(f, d);
		free(f);
		unlink(link);                                  /* the home forgot it: registry */
		f = pc_sysdir_find("pctest", slash, NULL);
		ck_assert_str_eq(f, d);
		free(f);
		pc_rmtree(d);
		ck_assert_ptr_null(pc_sysdir_find("pctest", home, link));
		free(d);
	}
	free(home), free(slash), free(link);
}
END_TEST

PAVED_PLUGIN_INIT1;

static int calls;
static int fake_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result,
                     char **errmsg)
{
	(void)ctx, (void)args, (void)errmsg;
	calls++;
	*result = json_pack("{ss}", "hook", hook);
	return PAVED_VETO;
}

START_TEST(test_call)
{
	static const struct paved_api api = { .abi = PAVED_ABI_VERSION, .size = sizeof api,
	                                       .call = fake_call };
	json_t *r = NULL;
	PAVED_PLUGIN_INIT2(&api);
	ck_assert_int_eq(pc_call(NULL, "a.b", NULL, &r, NULL), PAVED_VETO);
	ck_assert_str_eq(json_string_value(json_object_get(r, "hook")), "a.b");   /* taken */
	json_decref(r);
	ck_assert_int_eq(pc_call(NULL, "a.c", NULL, NULL, NULL), PAVED_VETO); /* dropped */
	ck_assert_int_eq(calls, 2);
}
END_TEST

/* pc_step and pc_replica_call against a fake table: what they emit and call. */
static json_t *emitted, *called;
static void fake_emit(paved_ctx *ctx, const char *event, json_t *fields)
{
	(void)ctx;
	json_array_append_new(emitted, json_pack("{ss sO}", "event", event, "fields", fields));
}
static int record_call(paved_ctx *ctx, const char *hook, json_t *args, json_t **result,
                       char **errmsg)
{
	(void)ctx, (void)errmsg;
	json_array_append_new(called, json_pack("{ss sO}", "hook", hook, "args", args));
	*result = json_object();
	return PAVED_OK;
}

START_TEST(test_step_and_replica_call)
{
	static const struct paved_api api = { .abi = PAVED_ABI_VERSION, .size = sizeof api,
	                                       .call = record_call, .emit = fake_emit };
	PAVED_PLUGIN_INIT2(&api);
	emitted = json_array(), called = json_array();
	json_t *steps = json_array(), *fields = json_pack("{ss ss}", "service", "s", "env", "dev");
	double t0 = pc_now();
	pc_step(NULL, steps, t0, fields, "started replica %s", "r1");
	pc_step(NULL, steps, t0, NULL, "done");
	ck_assert_uint_eq(json_array_size(steps), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(steps, 0), "step")),
	                 "started replica r1");
	ck_assert(json_real_value(json_object_get(json_array_get(steps, 1), "seconds")) >= 0);
	json_t *ev = json_array_get(emitted, 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "deploy.step");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "fields"), "service")), "s");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "fields"), "step")),
	                 "started replica r1");
	ck_assert_uint_eq(json_object_size(fields), 2);          /* borrowed, untouched */
	json_t *id = json_string("r7"), *extra = json_pack("{si}", "weight", 5);
	ck_assert_int_eq(pc_replica_call(NULL, "runtime.enable", "s", "dev", id, extra, NULL), PAVED_OK);
	json_t *c = json_array_get(called, 0);
	ck_assert_str_eq(json_string_value(json_object_get(c, "hook")), "runtime.enable");
	json_t *a = json_object_get(c, "args");
	ck_assert_str_eq(json_string_value(json_object_get(a, "id")), "r7");
	ck_assert_str_eq(json_string_value(json_object_get(a, "env")), "dev");
	ck_assert_int_eq(json_integer_value(json_object_get(a, "weight")), 5);
	json_decref(id), json_decref(extra), json_decref(steps), json_decref(fields);
	json_decref(emitted), json_decref(called);
}
END_TEST

/* pc_provide_all: every hook, then every command, until one is refused. */
static json_t *provided;
static int fake_provide(paved_ctx *ctx, const char *hook, paved_fn fn, void *data,
                        void (*free_data)(void *), char **errmsg)
{
	(void)ctx, (void)fn, (void)data, (void)free_data, (void)errmsg;
	json_array_append_new(provided, json_string(hook));
	if (!strcmp(hook, "x.refused")) {
		*errmsg = strdup("hook 'x.refused' already has a provider");
		return PAVED_ERR;
	}
	return PAVED_OK;
}
static int fake_provide_command(paved_ctx *ctx, const char *name, const char *summary,
                                paved_fn fn, void *data, void (*free_data)(void *),
                                char **errmsg)
{
	(void)summary;
	char hook[64];
	snprintf(hook, sizeof hook, "cli.%s", name);
	return fake_provide(ctx, hook, fn, data, free_data, errmsg);
}
static int nop_hook(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx, (void)args, (void)result, (void)errmsg, (void)data;
	return PAVED_OK;
}

START_TEST(test_provide_all)
{
	static const struct paved_api api = { .abi = PAVED_ABI_VERSION, .size = sizeof api,
	                                       .provide = fake_provide,
	                                       .provide_command = fake_provide_command };
	PAVED_PLUGIN_INIT2(&api);
	const struct pc_hook hooks[] = { { "x.a", nop_hook }, { "x.b", nop_hook } };
	const struct pc_cmd cmds[] = { { "one", "the first", nop_hook }, { "two", "", nop_hook } };
	char *err = NULL;
	provided = json_array();
	ck_assert_int_eq(pc_provide_all(NULL, hooks, 2, cmds, 2, &err), PAVED_OK);
	char *got = json_dumps(provided, JSON_COMPACT);
	ck_assert_str_eq(got, "[\"x.a\",\"x.b\",\"cli.one\",\"cli.two\"]");
	free(got);
	json_array_clear(provided);
	ck_assert_int_eq(pc_provide_all(NULL, NULL, 0, NULL, 0, &err), PAVED_OK);   /* nothing */
	ck_assert_uint_eq(json_array_size(provided), 0);
	/* a refusal stops it there, with the host's message; no command follows */
	const struct pc_hook bad[] = { { "x.a", nop_hook }, { "x.refused", nop_hook },
	                               { "x.c", nop_hook } };
	ck_assert_int_eq(pc_provide_all(NULL, bad, 3, cmds, 2, &err), PAVED_ERR);
	ck_assert_str_eq(err, "hook 'x.refused' already has a provider");
	ck_assert_uint_eq(json_array_size(provided), 2);
	free(err);
	json_decref(provided);
}
END_TEST

START_TEST(test_parse_time_ms)
{
	ck_assert_int_eq(pc_parse_time_ms("1970-01-01T00:00:01.250Z"), 1250);
	ck_assert_int_eq(pc_parse_time_ms("2023-11-14T22:13:20.123Z"), 1700000000123LL);
	ck_assert_int_eq(pc_parse_time_ms("2024-02-29T00:00:00.000Z"), 1709164800000LL);
	/* bad: no milliseconds, no Z, trailing text, words, empty, NULL */
	ck_assert_int_eq(pc_parse_time_ms("2025-01-31T12:00:00Z"), -1);
	ck_assert_int_eq(pc_parse_time_ms("2025-01-31T12:00:00.000"), -1);
	ck_assert_int_eq(pc_parse_time_ms("2025-01-31T12:00:00.000+01:00"), -1);
	ck_assert_int_eq(pc_parse_time_ms("2023-11-14T22:13:20.123Zjunk"), -1);
	ck_assert_int_eq(pc_parse_time_ms("yesterday"), -1);
	ck_assert_int_eq(pc_parse_time_ms(""), -1);
	ck_assert_int_eq(pc_parse_time_ms(NULL), -1);
}
END_TEST

START_TEST(test_parse_age)
{
	ck_assert(pc_parse_age("30s") == 30);
	ck_assert(pc_parse_age("10m") == 600);
	ck_assert(pc_parse_age("2h") == 7200);
	ck_assert(pc_parse_age("1d") == 86400);
	ck_assert(pc_parse_age("1.5h") == 5400);
	ck_assert(pc_parse_age("45") == 45);          /* a bare number: seconds */
	ck_assert(pc_parse_age("0") == 0);
	/* bad: another unit, a unit alone, a negative, inf, nan, junk, NULL */
	ck_assert(pc_parse_age("5x") == -1);
	ck_assert(pc_parse_age("10ms") == -1);
	ck_assert(pc_parse_age("1w") == -1);
	ck_assert(pc_parse_age("m") == -1);
	ck_assert(pc_parse_age("") == -1);
	ck_assert(pc_parse_age("-5m") == -1);
	ck_assert(pc_parse_age("inf") == -1);
	ck_assert(pc_parse_age("nan") == -1);
	ck_assert(pc_parse_age("10m ") == -1);
	ck_assert(pc_parse_age(NULL) == -1);
}
END_TEST

START_TEST(test_format_time_ms)
{
	char buf[32], again[32];
	pc_format_time_ms(0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	pc_format_time_ms(1700000000123LL, buf);
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z");
	pc_format_time_ms(1709164800007LL, buf);
	ck_assert_str_eq(buf, "2024-02-29T00:00:00.007Z");   /* leap day, padded ms */
	ck_assert_int_eq(pc_parse_time_ms(buf), 1709164800007LL);   /* round trip */
	/* now: the form parses back, between two readings of the clock */
	long long before = (long long)time(NULL) * 1000;
	pc_now_iso(buf);
	long long t = pc_parse_time_ms(buf), after = ((long long)time(NULL) + 1) * 1000;
	ck_assert_int_eq(strlen(buf), 24);
	ck_assert(t >= before && t < after);
	pc_format_time_ms(t, again);
	ck_assert_str_eq(again, buf);
}
END_TEST

/* pc_daemon_spawn re-executes this program (main's daemon mode, below):
 * what the daemon tells decides the outcome. */
#define DAEMON_VAR "PC_TEST_DAEMON_NOTIFY"

static int spawn(const char *say, char *msg, size_t size)
{
	char *const argv[] = { "pc-test-daemon", (char *)say, NULL };
	char *const env[] = { "PC_TEST_DAEMON_MARK=m1", NULL };
	return pc_daemon_spawn(argv, DAEMON_VAR, env, msg, size);
}

START_TEST(test_daemon_spawn)
{
	char msg[64], small[8];
	ck_assert_int_eq(spawn("ok", msg, sizeof msg), 0);
	ck_assert_str_eq(msg, "ok m1\n");                  /* the daemon saw ENV */
	ck_assert_int_eq(spawn("busy", msg, sizeof msg), 0);
	ck_assert_str_eq(msg, "busy 42\n");
	/* bad: a reason, a daemon that exits without a word, a long reason */
	ck_assert_int_eq(spawn("fail", msg, sizeof msg), 1);
	ck_assert_str_eq(msg, "cannot open x.lock: denied\n");
	ck_assert_int_eq(spawn("silent", msg, sizeof msg), 1);
	ck_assert_str_eq(msg, "");
	ck_assert_int_eq(spawn("fail", small, sizeof small), 1);
	ck_assert_str_eq(small, "cannot ");                 /* cut, NUL-terminated */
	/* the daemon's side, outside a daemon: no pipe, nothing written */
	unsetenv(DAEMON_VAR);
	ck_assert_int_eq(pc_daemon_notify_fd(DAEMON_VAR), -1);
	pc_daemon_notify(DAEMON_VAR, "ok %d\n", 1);
	setenv(DAEMON_VAR, "", 1);
	ck_assert_int_eq(pc_daemon_notify_fd(DAEMON_VAR), -1);
	unsetenv(DAEMON_VAR);
}
END_TEST

/* The daemon test_daemon_spawn starts: tells what argv[1] asks, once (a
 * second notify must write nothing), and exits. */
static int test_daemon(char **argv)
{
	const char *mark = getenv("PC_TEST_DAEMON_MARK");
	/* in a session of its own, but not its leader (no terminal again) */
	if (pc_daemon_notify_fd(DAEMON_VAR) < 0 || getsid(0) == getpid() || getsid(0) != getpgrp())
		return 3;
	if (!strcmp(argv[1], "ok"))
		pc_daemon_notify(DAEMON_VAR, "ok %s\n", mark ? mark : "?");
	else if (!strcmp(argv[1], "busy"))
		pc_daemon_notify(DAEMON_VAR, "busy %d\n", 42);
	else if (!strcmp(argv[1], "fail"))
		pc_daemon_notify(DAEMON_VAR, "cannot open %s: %s\n", "x.lock", "denied");
	else
		return 0;   /* "silent": exits without a word */
	pc_daemon_notify(DAEMON_VAR, "again\n");
	return getenv(DAEMON_VAR) ? 4 : 0;
}

/* pc_daemon_stdio in a child (it takes the process's stdio): exit 0 when
 * it returned WANT (errno WANT_ERRNO on -1), stdin reads nothing, fd KEEP
 * is open and fd DROP is closed; "out" and "err" go to stdout, stderr. */
static int stdio_child(const char *log, int want, int want_errno)
{
	int keep = open("/dev/null", O_RDONLY), drop = open("/dev/null", O_RDONLY);
	pid_t c = fork();
	if (c == 0) {
		char b;
		int rc = pc_daemon_stdio(log, 0600, &keep, 1), e = errno;
		bool ok = rc == want && (rc == 0 || e == want_errno) && read(0, &b, 1) == 0 &&
		          fcntl(keep, F_GETFD) >= 0 && fcntl(drop, F_GETFD) < 0 && errno == EBADF;
		if (write(1, "out\n", 4) != 4 || write(2, "err\n", 4) != 4)
			ok = false;
		_exit(ok ? 0 : 1);
	}
	int st = -1;
	waitpid(c, &st, 0);
	close(keep), close(drop);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_daemon_stdio)
{
	char *log = pc_printf("%s/d.log", dir), *gone = pc_printf("%s/no/d.log", dir);
	char *link = pc_printf("%s/link.log", dir), *target = pc_printf("%s/target", dir);
	struct stat st;
	ck_assert_int_eq(stdio_child(log, 0, 0), 0);
	ck_assert_int_eq(stdio_child(log, 0, 0), 0);          /* appended */
	char *text = pc_read_file(log);
	ck_assert_str_eq(text, "out\nerr\nout\nerr\n");
	ck_assert_int_eq(stat(log, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* bad: no such directory, a link (not followed), no log at all */
	ck_assert_int_eq(stdio_child(gone, -1, ENOENT), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(stdio_child(link, -1, ELOOP), 0);
	ck_assert_int_eq(access(target, F_OK), -1);           /* nothing written through it */
	ck_assert_int_eq(stdio_child(NULL, -1, ENOENT), 0);
	free(text), free(log), free(gone), free(link), free(target);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 2 && getenv(DAEMON_VAR))
		return test_daemon(argv);
	Suite *s = suite_create("pc");
	TCase *tc = tcase_create("pc");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_mkdir_p);
	tcase_add_test(tc, test_rmtree);
	tcase_add_test(tc, test_call);
	tcase_add_test(tc, test_write_read);
	tcase_add_test(tc, test_text_random_ports);
	tcase_add_test(tc, test_sysdir);
	tcase_add_test(tc, test_step_and_replica_call);
	tcase_add_test(tc, test_parse_time_ms);
	tcase_add_test(tc, test_parse_age);
	tcase_add_test(tc, test_format_time_ms);
	tcase_add_test(tc, test_daemon_spawn);
	tcase_add_test(tc, test_daemon_stdio);
	tcase_add_test(tc, test_provide_all);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
