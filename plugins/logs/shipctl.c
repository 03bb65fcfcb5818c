/*
 * shipctl.c -- the shipper process of the home, paved-logship (see
 * logship.c and logs.h): where its program is, starting it, finding it,
 * stopping it.  Its files are in $PAVED_HOME/logs/shipper/.
 */
#include "logs.h"
#include "proc.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* paved-logship of the build tree when this plugin was loaded from it,
 * else the installed one. */
static const char *program(void)
{
	Dl_info info;
	size_t n = strlen(LOGS_ABS_BUILDDIR);
	if (dladdr((void *)program, &info) && info.dli_fname &&
	    strncmp(info.dli_fname, LOGS_ABS_BUILDDIR, n) == 0 && info.dli_fname[n] == '/')
		return LOGS_BUILD_SHIPPER;
	return LOGS_SHIPPER;
}

static char *file_of(paved_ctx *ctx, const char *name)
{
	return pc_printf("%s/logs/shipper/%s", paved->home(ctx), name);
}

pid_t lc_pid(paved_ctx *ctx)
{
	char *path = file_of(ctx, "shipper.pid"), *t = path ? pc_read_file(path) : NULL;
	pid_t pid = t ? (pid_t)atoi(t) : 0;
	pid_t found[4];
	int n = 0;
	if (pid > 0) {
		/* the pid file's process only if it is this home's shipper */
		n = lp_scan_arg(paved->home(ctx), found, 4);
		bool ours = false;
		for (int i = 0; i < n; i++)
			ours |= found[i] == pid;
		if (!ours)
			pid = 0;
	}
	free(path), free(t);
	if (pid > 0) {
		/* and its program is paved-logship (argv[0]; comm is "exe" after
		 * the re-execution through /proc/self/exe until it renames itself) */
		char *cp = pc_printf("/proc/%d/cmdline", (int)pid);
		char *c = cp ? pc_read_file(cp) : NULL;
		if (!c || strcmp(c, "paved-logship"))
			pid = 0;
		free(cp), free(c);
	}
	return pid > 0 ? pid : 0;
}

int lc_start(paved_ctx *ctx, const char *url, char **errmsg)
{
	char *dir = pc_printf("%s/logs/shipper", paved->home(ctx)), *tpath = file_of(ctx, "target.json");
	char *home = pc_printf("PAVED_HOME=%s", paved->home(ctx)), *text = NULL, *old = NULL;
	const char *tenant = json_string_value(paved->option(ctx, "tenant"));
	int rc = PAVED_OK;
	/* with paved's own Loki, the shipper stops it when the home is removed */
	const char *u = json_string_value(paved->option(ctx, "url"));
	char *loki = u && *u ? NULL : lb_config_arg(ctx);
	json_t *t = json_pack("{ss ss sI ss*}", "url", url, "tenant", tenant ? tenant : "",
	                      "timeout_ms", (json_int_t)lb_timeout(ctx), "loki_arg", loki);
	free(loki);
	if (!dir || !tpath || !home || !t || !(text = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	old = pc_read_file(tpath);
	if ((!old || strcmp(old, text)) &&
	    (pc_mkdir_p(dir, 0700) || pc_write_file(tpath, text, strlen(text), 0600))) {
		rc = paved->error(errmsg, "cannot write %s: %s", tpath, strerror(errno));
		goto out;
	}
	if (lc_pid(ctx))
		goto out;
	const char *argv[] = { program(), "--detach", NULL };
	const char *env[] = { home, NULL };
	rc = paved->run(ctx, &(struct paved_cmd){ .argv = argv, .env = env, .timeout_ms = 30000,
	                                          .flags = PAVED_RUN_CHECK }, NULL, errmsg);
out:
	json_decref(t);
	free(dir), free(tpath), free(home), free(text), free(old);
	return rc;
}

int lc_stop(paved_ctx *ctx, int *stopped, char **errmsg)
{
	pid_t pid = lc_pid(ctx);
	*stopped = 0;
	if (!pid)
		return PAVED_OK;
	*stopped = 1;
	/* it ships one last round (2 s at most) after SIGTERM */
	if (lb_stop_pids(&pid, 1, 10000))
		return paved->error(errmsg, "the log shipper (pid %d) survived SIGKILL", (int)pid);
	return PAVED_OK;
}

json_t *lc_status(paved_ctx *ctx)
{
	char *path = file_of(ctx, "status.json");
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
	free(path);
	return j;
}
