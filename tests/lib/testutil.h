/*
 * testutil.h -- helpers shared by the Check suites in tests/: temporary
 * directories, files, the test plugins built in tests/plugins, dropping
 * root for permission tests, and a quiet, isolated environment.
 */
#ifndef PV_TESTUTIL_H
#define PV_TESTUTIL_H

#include <stdbool.h>
#include <sys/types.h>
#include <sqlite3.h>

/* Clear variables that would make a test depend on the machine
 * (PAVED_PLUGIN_PATH, PAVED_CONFIG_*, /etc/paved/config.json). */
void tu_isolate_env(void);

/* mkdtemp("/tmp/paved-test-XXXXXX"); aborts the test on failure.
 * Caller frees. */
char *tu_mkdtemp(void);
/* An unchecked fixture for test cases whose tests may drop root: TU_BASE
 * is a directory every user may write (mode 0777), made before the case's
 * tests (in the parent, so a forked test cannot lose it) and removed after. */
extern char *tu_base;
void tu_base_setup(void);
void tu_base_teardown(void);
/* A new directory under TU_BASE, mode 0777, for one test; caller frees. */
char *tu_base_subdir(void);
/* rm -rf PATH (best effort). */
void tu_rm_rf(const char *path);
/* A new string "A/B" (caller frees). */
char *tu_join(const char *a, const char *b);
/* mkdir -p; aborts the test on failure. */
void tu_mkdirs(const char *path, mode_t mode);

/* Write TEXT to PATH (created or truncated); aborts the test on failure. */
void tu_write_file(const char *path, const char *text);
/* The whole file as a new string, or NULL when it cannot be read. */
char *tu_read_file(const char *path);
/* Copy SRC to DST (mode 0644); aborts the test on failure. */
void tu_copy_file(const char *src, const char *dst);
/* Number of lines (newline-terminated) in PATH, -1 when unreadable. */
int tu_count_lines(const char *path);

/* The build tree's copy of test plugin NAME (tests/plugins/.libs/NAME.so),
 * or of a bundled plugin given as a path relative to the build tree. */
char *tu_test_plugin(const char *name);
char *tu_built(const char *relpath);
/* Copy test plugin NAME into DIR as DIR/NAME.so; returns that path. */
char *tu_install_plugin(const char *dir, const char *name);

/* True when the tests fork (CK_FORK is not "no"): tests that change the
 * process (uid, environment) must only run in a child. */
bool tu_forking(void);
/* When running as root, become nobody (65534) so file modes apply, keeping
 * the process dumpable so LeakSanitizer still works.  Returns false (and
 * does nothing) when not forking. */
bool tu_drop_root(void);

/* Run a query returning one integer against the database at PATH;
 * -1 on error. */
long long tu_sql_int(const char *dbpath, const char *sql);

/* Does HAYSTACK contain NEEDLE?  (NULL-safe.) */
bool tu_contains(const char *haystack, const char *needle);

#endif
