/*
 * test_rt.c -- helpers for the Check tests of runtime_process (see
 * test_rt.h).
 */
#include "config.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "test_rt.h"

char trt_tmp[256], trt_home[300];
static pv_host *host;

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	return remove(p);
}

void trt_open(const char *const *sets)
{
	struct pv_host_opts o = { 0 };
	char *err = NULL;
	int code = 0;
	size_t n = 0;
	while (sets && sets[n])
		n++;
	o.home = trt_home;
	o.plugin_path = RT_TEST_PLUGIN_DIR;
	o.sets = sets;
	o.nsets = n;
	if (host)
		pv_host_close(host);
	host = NULL;
	ck_assert_msg(pv_host_open(&o, &host, &err, &code) == PAVED_OK, "host: %s", err);
}

void trt_setup(void)
{
	snprintf(trt_tmp, sizeof trt_tmp, "%s/paved-rt-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(trt_tmp));
	snprintf(trt_home, sizeof trt_home, "%s/home", trt_tmp);
	unsetenv("PAVED_PLUGIN_PATH");
	setenv("PAVED_SYSTEM_CONFIG", "/nonexistent/paved.json", 1);
	setenv("PAVED_CHECK_SHAPES", "0", 1);   /* the driver's own checks are under test */
	trt_open(NULL);
}

void trt_teardown(void)
{
	trt_call("runtime.stop", "{\"all\": true}", NULL, NULL);
	pv_host_close(host);
	host = NULL;
	nftw(trt_tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int trt_call(const char *hook, const char *args, json_t **res, char **err)
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

void trt_expect_error(const char *hook, const char *args, const char *message)
{
	char *err = NULL;
	int rc = trt_call(hook, args, NULL, &err);
	ck_assert_int_ne(rc, PAVED_OK);
	ck_assert_str_eq(err, message);
	free(err);
}

int trt_exists(const char *rel)
{
	char p[600];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", trt_home, rel);
	return stat(p, &st) == 0;
}
