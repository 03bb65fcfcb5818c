/*
 * test_files.c -- Check tests of files.c: private directories, atomic
 * 0600 files, lock files.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "check_main.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/rt-files-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	umask(0);   /* the modes must not depend on the umask */
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	umask(022);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

START_TEST(private_dir_makes_0700_chain)
{
	char p[128];
	ck_assert_int_eq(rf_private_dir(dir, "runtime/dev/api"), 0);
	snprintf(p, sizeof p, "%s/runtime", dir);
	ck_assert_int_eq(mode_of(p), 0700);
	snprintf(p, sizeof p, "%s/runtime/dev", dir);
	ck_assert_int_eq(mode_of(p), 0700);
	snprintf(p, sizeof p, "%s/runtime/dev/api", dir);
	ck_assert_int_eq(mode_of(p), 0700);
	ck_assert_int_eq(rf_private_dir(dir, "runtime/dev/api"), 0);   /* again: fine */
}
END_TEST

START_TEST(private_dir_tightens_an_open_dir)
{
	char p[128];
	snprintf(p, sizeof p, "%s/runtime", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(rf_private_dir(dir, "runtime"), 0);
	ck_assert_int_eq(mode_of(p), 0700);
}
END_TEST

START_TEST(private_dir_refuses_a_symlink)
{
	char p[128];
	snprintf(p, sizeof p, "%s/runtime", dir);
	ck_assert_int_eq(symlink("/tmp", p), 0);
	ck_assert_int_eq(rf_private_dir(dir, "runtime/dev"), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(mode_of("/tmp") & 01777, 01777);   /* /tmp untouched */
}
END_TEST

START_TEST(write_atomic_is_0600_and_replaces)
{
	char p[128], q[128];
	snprintf(p, sizeof p, "%s/spec.json", dir);
	FILE *f = fopen(p, "w");
	fputs("old", f);
	fclose(f);
	chmod(p, 0644);
	ck_assert_int_eq(rf_write_atomic(p, "secret", 6), 0);
	ck_assert_int_eq(mode_of(p), 0600);
	f = fopen(p, "r");
	char buf[16] = "";
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "secret");
	/* a symlink planted at the path is replaced, its target untouched */
	snprintf(q, sizeof q, "%s/target", dir);
	f = fopen(q, "w");
	fputs("target", f);
	fclose(f);
	unlink(p);
	ck_assert_int_eq(symlink(q, p), 0);
	ck_assert_int_eq(rf_write_atomic(p, "x", 1), 0);
	struct stat st;
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	f = fopen(q, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "target");
	/* no temporary file is left behind */
	char cmd[160];
	snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 2", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(write_json_round_trips)
{
	char p[128];
	snprintf(p, sizeof p, "%s/x.json", dir);
	json_t *v = json_pack("{ss}", "DATABASE_URL", "postgres://u:p@127.0.0.1/db");
	ck_assert_int_eq(rf_write_json(p, v), 0);
	json_t *back = rf_read_json(p);
	ck_assert(json_equal(v, back));
	json_decref(v), json_decref(back);
	snprintf(p, sizeof p, "%s/missing.json", dir);
	ck_assert_ptr_null(rf_read_json(p));
}
END_TEST

START_TEST(lock_excludes_a_second_holder)
{
	char p[128];
	snprintf(p, sizeof p, "%s/lock", dir);
	int a = rf_lock(p, 0, 0);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(mode_of(p), 0600);
	ck_assert_int_eq(rf_lock(p, 0, 1), -1);
	ck_assert(errno == EWOULDBLOCK || errno == EAGAIN);
	ck_assert_int_eq(rf_lock(p, 1, 1), -1);
	ck_assert(fcntl(a, F_GETFD) & FD_CLOEXEC);
	rf_unlock(a);
	int b = rf_lock(p, 0, 1);
	ck_assert_int_ge(b, 0);
	rf_unlock(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime files");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, private_dir_makes_0700_chain);
	tcase_add_test(tc, private_dir_tightens_an_open_dir);
	tcase_add_test(tc, private_dir_refuses_a_symlink);
	tcase_add_test(tc, write_atomic_is_0600_and_replaces);
	tcase_add_test(tc, write_json_round_trips);
	tcase_add_test(tc, lock_excludes_a_second_holder);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
