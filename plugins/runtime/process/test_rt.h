/*
 * test_rt.h -- helpers for the Check tests that drive runtime_process
 * through a real host (test_spec.c, test_net.c, test_haproxy.c): a host
 * opened on a temporary PAVED_HOME with the build tree's plugins, calls of
 * hooks with JSON text, exact error messages.
 */
#ifndef RT_TEST_RT_H
#define RT_TEST_RT_H

#include <jansson.h>

/* The test's scratch directory and the PAVED_HOME inside it. */
extern char trt_tmp[256], trt_home[300];

/* Checked fixture: make the directories, open a host with no -c settings;
 * close it and remove everything.  Every runtime process the test started
 * is stopped first (runtime.stop all). */
void trt_setup(void);
void trt_teardown(void);

/* Reopen the host with the -c settings SETS (NULL-terminated). */
void trt_open(const char *const *sets);

/* Call HOOK with ARGS (JSON text); the status.  *RES and *ERR (either may
 * be NULL) receive the result and the message. */
int trt_call(const char *hook, const char *args, json_t **res, char **err);

/* Expect HOOK(ARGS) to fail with exactly MESSAGE. */
void trt_expect_error(const char *hook, const char *args, const char *message);

/* Does PATH (relative to PAVED_HOME) exist? */
int trt_exists(const char *rel);

#endif
