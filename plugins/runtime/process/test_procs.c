/*
 * test_procs.c -- Check tests of procs.c: liveness by pid and start time,
 * the environment mark, command lines, stopping with SIGTERM then SIGKILL.
 */
#include <check.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"
#include "check_main.h"

/* A child running ARGV with the environment entry KV, ignoring SIGTERM
 * with DEAF (the disposition survives exec); the caller reaps it. */
static pid_t spawn(const char *kv, char *const argv[], bool deaf)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *env[] = { (char *)kv, "PATH=/usr/bin:/bin", NULL };
		if (deaf)
			signal(SIGTERM, SIG_IGN);
		execve(argv[0], argv, env);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	/* wait for the exec: the environment changes with it */
	for (int i = 0; i < 500 && !rp_has_env(pid, kv); i++)
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	return pid;
}

START_TEST(alive_and_start_time)
{
	ck_assert(rp_alive(getpid()));
	ck_assert(!rp_alive(0));
	ck_assert(!rp_alive(-1));
	unsigned long long st = rp_starttime(getpid());
	ck_assert(st > 0);
	ck_assert(rp_same(getpid(), st));
	ck_assert(rp_same(getpid(), 0));
	ck_assert(!rp_same(getpid(), st + 1));   /* a reused pid is not ours */
}
END_TEST

START_TEST(zombie_is_dead)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	/* not reaped yet: a zombie */
	for (int i = 0; i < 500 && rp_alive(pid); i++)
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	ck_assert(!rp_alive(pid));
	ck_assert_int_eq(rp_starttime(pid), 0);
	waitpid(pid, NULL, 0);
	ck_assert(!rp_alive(pid));
}
END_TEST

START_TEST(mark_and_args_are_found)
{
	char kv[64];
	snprintf(kv, sizeof kv, "%s=/tmp/rt-procs-%d", RP_MARK, (int)getpid());
	char *const argv[] = { "/bin/sleep", "60", NULL };
	pid_t pid = spawn(kv, argv, false);
	ck_assert(rp_has_env(pid, kv));
	ck_assert(!rp_has_env(pid, RP_MARK "=/tmp"));   /* whole entries only */
	ck_assert(rp_has_arg(pid, "/bin/sleep", "60"));
	ck_assert(rp_has_arg(pid, "60", NULL));
	ck_assert(!rp_has_arg(pid, "/bin/sleep", "61"));
	pid_t found[8];
	ck_assert_int_eq(rp_scan_env(kv, found, 8), 1);
	ck_assert_int_eq(found[0], pid);
	ck_assert_int_eq(rp_stop(&pid, 1, 2000, false), 0);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(rp_scan_env(kv, found, 8), 0);
}
END_TEST

START_TEST(stop_kills_what_ignores_sigterm)
{
	char kv[64];
	snprintf(kv, sizeof kv, "%s=/tmp/rt-stop-%d", RP_MARK, (int)getpid());
	char *const argv[] = { "/bin/sleep", "60", NULL };
	pid_t pid = spawn(kv, argv, true);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(rp_stop(&pid, 1, 300, false), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int st = 0;
	waitpid(pid, &st, 0);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	double took = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(took >= 0.3 && took < 3, "took %.2f s", took);
	ck_assert(rp_wait_gone(pid, 0));
	/* nothing alive: nothing to do */
	ck_assert_int_eq(rp_stop(&pid, 1, 300, false), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime procs");
	TCase *tc = tcase_create("procs");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, alive_and_start_time);
	tcase_add_test(tc, zombie_is_dead);
	tcase_add_test(tc, mark_and_args_are_found);
	tcase_add_test(tc, stop_kills_what_ignores_sigterm);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
