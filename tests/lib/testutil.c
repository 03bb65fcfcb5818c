/*
 * testutil.c -- see testutil.h.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

void tu_isolate_env(void)
{
	unsetenv("PAVED_PLUGIN_PATH");
	unsetenv("PAVED_HOME");
	setenv("PAVED_SYSTEM_CONFIG", "/nonexistent/paved-test/config.json", 1);
	for (;;) {  /* unsetenv reshuffles environ: restart after each removal */
		char **e = environ;
		for (; *e; e++)
			if (strncmp(*e, "PAVED_CONFIG_", 13) == 0)
				break;
		if (!*e)
			break;
		char *name = strndup(*e, strcspn(*e, "="));
		unsetenv(name);
		free(name);
	}
}

char *tu_mkdtemp(void)
{
	char *t = strdup("/tmp/paved-test-XXXXXX");
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(mkdtemp(t) != NULL, "mkdtemp: %s", strerror(errno));
	return t;
}

char *tu_base;

void tu_base_setup(void)
{
	tu_base = tu_mkdtemp();
	chmod(tu_base, 0777);
}

void tu_base_teardown(void)
{
	tu_rm_rf(tu_base);
	free(tu_base);
	tu_base = NULL;
}

char *tu_base_subdir(void)
{
	char *d = tu_join(tu_base, "t-XXXXXX");
	ck_assert_msg(mkdtemp(d) != NULL, "mkdtemp: %s", strerror(errno));
	chmod(d, 0777);
	return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void tu_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);
	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "%s/%s", a, b);
	return s;
}

void tu_mkdirs(const char *path, mode_t mode)
{
	char *buf = strdup(path);
	ck_assert_ptr_nonnull(buf);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		ck_assert_msg(mkdir(buf, mode) == 0 || errno == EEXIST, "mkdir %s: %s", buf,
		              strerror(errno));
		*p = c;
		if (!c)
			break;
	}
	free(buf);
}

void tu_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

char *tu_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0, n;
	char *s = malloc(cap);
	while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *g = realloc(s, cap *= 2);
			if (!g)
				free(s);
			s = g;
		}
	}
	fclose(f);
	if (s)
		s[len] = '\0';
	return s;
}

void tu_copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY);
	ck_assert_msg(in >= 0, "cannot read %s: %s (was `make check` run?)", src, strerror(errno));
	unlink(dst);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(out >= 0, "cannot write %s: %s", dst, strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	ck_assert_int_eq(close(out), 0);
	chmod(dst, 0644);
}

int tu_count_lines(const char *path)
{
	char *s = tu_read_file(path);
	if (!s)
		return -1;
	int n = 0;
	for (char *p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

char *tu_built(const char *relpath)
{
	return tu_join(PV_TEST_BUILDDIR, relpath);
}

char *tu_test_plugin(const char *name)
{
	size_t n = strlen(PV_TEST_BUILDDIR) + strlen(name) + 32;
	char *s = malloc(n);
	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "%s/tests/plugins/.libs/%s.so", PV_TEST_BUILDDIR, name);
	return s;
}

char *tu_install_plugin(const char *dir, const char *name)
{
	char *src = tu_test_plugin(name);
	size_t n = strlen(dir) + strlen(name) + 8;
	char *dst = malloc(n);
	ck_assert_ptr_nonnull(dst);
	snprintf(dst, n, "%s/%s.so", dir, name);
	tu_copy_file(src, dst);
	free(src);
	return dst;
}

bool tu_forking(void)
{
	const char *f = getenv("CK_FORK");
	return !(f && strcmp(f, "no") == 0);
}

bool tu_drop_root(void)
{
	if (!tu_forking())
		return false;
	if (geteuid() == 0) {
		ck_assert_msg(setgroups(0, NULL) == 0, "setgroups: %s", strerror(errno));
		ck_assert_msg(setgid(65534) == 0, "setgid: %s", strerror(errno));
		ck_assert_msg(setuid(65534) == 0, "setuid: %s", strerror(errno));
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	}
	return true;
}

long long tu_sql_int(const char *dbpath, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

bool tu_contains(const char *haystack, const char *needle)
{
	return haystack && needle && strstr(haystack, needle) != NULL;
}
