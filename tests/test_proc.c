/*
 * test_proc.c -- the host's process runner (host/proc.c), which recipes
 * reach as paved.run and plugins as api->run, run_start and run_wait.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "proc.h"
#include "testutil.h"

static char *tmp;

static void setup(void)
{
	tmp = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rm_rf(tmp);
	free(tmp);
}

/* Run ARGV (NULL-terminated list) with the other fields of CMD. */
static int run(struct paved_cmd cmd, struct paved_run_result *r, char **err)
{
	*err = NULL;
	return pv_proc_run(&cmd, r, err);
}

START_TEST(test_output_status_cwd_stdin)
{
	struct paved_run_result r;
	char *err;
	const char *sh[] = { "sh", "-c", "pwd; cat; echo oops >&2; exit 3", NULL };
	ck_assert_int_eq(run((struct paved_cmd){ .argv = sh, .cwd = tmp, .input = "from stdin\n" },
	                     &r, &err), 0);
	char *want = NULL;
	ck_assert_int_ne(asprintf(&want, "%s\nfrom stdin\n", tmp), -1);
	ck_assert_str_eq(r.out, want);
	ck_assert_str_eq(r.err, "oops\n");
	ck_assert_int_eq(r.status, 3);
	ck_assert(!r.timed_out);
	pv_proc_result_free(&r);
	free(want);
	/* the same with PAVED_RUN_CHECK: an error quoting the last stderr line */
	ck_assert_int_eq(run((struct paved_cmd){ .argv = sh, .flags = PAVED_RUN_CHECK }, &r, &err), -1);
	ck_assert_str_eq(err, "sh exited with status 3: oops");
	pv_proc_result_free(&r);
	free(err);
}
END_TEST

START_TEST(test_env_set_and_unset)
{
	struct paved_run_result r;
	char *err;
	setenv("PV_TEST_KEEP", "kept", 1);
	setenv("PV_TEST_DROP", "dropped", 1);
	setenv("PV_TEST_OVER", "old", 1);
	const char *sh[] = { "sh", "-c", "echo \"$PV_TEST_KEEP/${PV_TEST_DROP-unset}/$PV_TEST_OVER/$PV_TEST_NEW\"",
	                     NULL };
	const char *env[] = { "PV_TEST_DROP", "PV_TEST_OVER=new", "PV_TEST_NEW=x=y", NULL };
	ck_assert_int_eq(run((struct paved_cmd){ .argv = sh, .env = env }, &r, &err), 0);
	ck_assert_str_eq(r.out, "kept/unset/new/x=y\n");
	pv_proc_result_free(&r);
	ck_assert_str_eq(getenv("PV_TEST_DROP"), "dropped");   /* paved's own is untouched */
}
END_TEST

START_TEST(test_cannot_start)
{
	struct paved_run_result r;
	char *err;
	const char *nope[] = { "paved-no-such-program", NULL };
	ck_assert_int_eq(run((struct paved_cmd){ .argv = nope }, &r, &err), -1);
	ck_assert_str_eq(err, "cannot run paved-no-such-program: No such file or directory");
	free(err);
	const char *t[] = { "true", NULL };
	ck_assert_int_eq(run((struct paved_cmd){ .argv = t, .cwd = "/nonexistent" }, &r, &err), -1);
	ck_assert_str_eq(err, "cannot run true in /nonexistent: No such file or directory");
	free(err);
	const char *empty[] = { NULL };
	ck_assert_int_eq(run((struct paved_cmd){ .argv = empty }, &r, &err), -1);
	ck_assert_str_eq(err, "run: empty argv");
	free(err);
}
END_TEST

START_TEST(test_timeout_kills_the_group)
{
	struct paved_run_result r;
	char *err;
	char *pidfile = tu_join(tmp, "child.pid");
	char *script = NULL;
	/* orphans of the program become ours, so waitpid tells when they die */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_ne(asprintf(&script, "sleep 30 & echo $! > %s; wait", pidfile), -1);
	const char *sh[] = { "sh", "-c", script, NULL };
	ck_assert_int_eq(run((struct paved_cmd){ .argv = sh, .timeout_ms = 300,
	                                         .flags = PAVED_RUN_CHECK }, &r, &err), -1);
	ck_assert(r.timed_out);
	ck_assert(r.seconds < 5);
	ck_assert(tu_contains(err, "sh timed out after 0 s"));
	char *pid = tu_read_file(pidfile);
	ck_assert_ptr_nonnull(pid);
	int st = 0;
	ck_assert_int_eq(waitpid((pid_t)atoi(pid), &st, 0), atoi(pid));  /* blocks if it lives */
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	pv_proc_result_free(&r);
	free(err), free(pid), free(script), free(pidfile);
}
END_TEST

START_TEST(test_log_and_quiet)
{
	struct paved_run_result r;
	char *err;
	char *log = tu_join(tmp, "build.log");
	const char *sh[] = { "sh", "-c", "echo to-out; echo to-err >&2; exit 1", NULL };
	ck_assert_int_eq(run((struct paved_cmd){ .argv = sh, .log = log, .flags = PAVED_RUN_CHECK },
	                     &r, &err), -1);
	ck_assert_str_eq(r.out, "");
	char *text = tu_read_file(log), *want = NULL;
	ck_assert_str_eq(text, "to-out\nto-err\n");
	ck_assert_int_ne(asprintf(&want, "sh exited with status 1; see %s", log), -1);
	ck_assert_str_eq(err, want);
	pv_proc_result_free(&r);
	free(err), free(want), free(text);
	ck_assert_int_eq(run((struct paved_cmd){ .argv = sh, .flags = PAVED_RUN_QUIET }, &r, &err), 0);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "");
	pv_proc_result_free(&r);
	free(log);
}
END_TEST

START_TEST(test_side_by_side)
{
	/* two programs at once, talking through two FIFOs: opening a FIFO
	 * blocks until the other end opens it, so they finish only if both
	 * run at the same time (the timeout ends them otherwise) */
	char *f1 = tu_join(tmp, "f1"), *f2 = tu_join(tmp, "f2"), *sa = NULL, *sb = NULL, *err = NULL;
	ck_assert_int_eq(mkfifo(f1, 0600), 0);
	ck_assert_int_eq(mkfifo(f2, 0600), 0);
	ck_assert_int_ne(asprintf(&sa, "echo ping > %s; read x < %s; echo \"a got $x\"", f1, f2), -1);
	ck_assert_int_ne(asprintf(&sb, "read x < %s; echo pong > %s; echo \"b got $x\"", f1, f2), -1);
	const char *ca[] = { "sh", "-c", sa, NULL }, *cb[] = { "sh", "-c", sb, NULL };
	struct paved_cmd x = { .argv = ca, .timeout_ms = 10000, .flags = PAVED_RUN_CHECK };
	struct paved_cmd y = { .argv = cb, .timeout_ms = 10000, .flags = PAVED_RUN_CHECK };
	struct paved_proc *p, *q;
	struct paved_run_result r;
	ck_assert_int_eq(pv_proc_start(&x, &p, &err), 0);
	ck_assert_int_eq(pv_proc_start(&y, &q, &err), 0);
	ck_assert_int_eq(pv_proc_wait(q, &r, &err), 0);
	ck_assert_str_eq(r.out, "b got ping\n");
	pv_proc_result_free(&r);
	ck_assert_int_eq(pv_proc_wait(p, &r, &err), 0);
	ck_assert_str_eq(r.out, "a got pong\n");
	pv_proc_result_free(&r);
	free(f1), free(f2), free(sa), free(sb);
}
END_TEST

START_TEST(test_large_output_and_input)
{
	/* more than a pipe holds, both ways, without deadlock */
	size_t n = 1 << 20;
	char *in = malloc(n + 1);
	memset(in, 'x', n);
	in[n] = '\0';
	const char *cat[] = { "cat", NULL };
	struct paved_run_result r;
	char *err;
	ck_assert_int_eq(run((struct paved_cmd){ .argv = cat, .input = in, .input_len = n,
	                                         .timeout_ms = 10000 }, &r, &err), 0);
	ck_assert_uint_eq(r.out_len, n);
	ck_assert_int_eq(memcmp(r.out, in, n), 0);
	pv_proc_result_free(&r);
	free(in);
	/* a program that never reads its stdin and exits: no SIGPIPE for paved */
	signal(SIGPIPE, SIG_IGN);
	const char *t[] = { "true", NULL };
	char big[200000];
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(run((struct paved_cmd){ .argv = t, .input = big }, &r, &err), 0);
	ck_assert_int_eq(r.status, 0);
	pv_proc_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_output_status_cwd_stdin);
	tcase_add_test(tc, test_env_set_and_unset);
	tcase_add_test(tc, test_cannot_start);
	tcase_add_test(tc, test_timeout_kills_the_group);
	tcase_add_test(tc, test_log_and_quiet);
	tcase_add_test(tc, test_side_by_side);
	tcase_add_test(tc, test_large_output_and_input);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
