/*
 * control.c -- starting, finding and stopping a service's processes (see
 * control.h).
 */
#include "control.h"
#include "paths.h"
#include "procs.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

PAVED_PLUGIN_INIT3;

#define MAX_PIDS 512

const char *rc_supervisor_path(void)
{
	Dl_info info;
	size_t n = strlen(RT_ABS_BUILDDIR);
	if (dladdr((void *)rc_supervisor_path, &info) && info.dli_fname &&
	    strncmp(info.dli_fname, RT_ABS_BUILDDIR, n) == 0 && info.dli_fname[n] == '/')
		return RT_BUILD_SUPERVISOR;
	return RT_SUPERVISOR;
}

pid_t rc_supervisor(const char *sdir)
{
	char *path = rd_file(sdir, "supervisor.pid"), *mark = rd_mark(sdir);
	FILE *f = path ? fopen(path, "re") : NULL;
	int pid = 0;
	if (f && fscanf(f, "%d", &pid) != 1)
		pid = 0;
	if (f)
		fclose(f);
	if (pid > 0 && !(mark && rp_alive(pid) && rp_has_env(pid, mark) &&
	                 rp_has_arg(pid, "paved-supervisor", NULL)))
		pid = 0;
	free(path), free(mark);
	return pid;
}

pid_t rc_replica_pid(json_t *state, const char *id)
{
	json_t *r = json_object_get(json_object_get(state, "replicas"), id);
	pid_t pid = (pid_t)json_integer_value(json_object_get(r, "pid"));
	unsigned long long st = (unsigned long long)json_integer_value(json_object_get(r, "starttime"));
	return pid > 0 && st && rp_same(pid, st) ? pid : 0;
}

/* Add PID to the N pids of SET unless it is there already. */
static void add_pid(pid_t *set, int *n, pid_t pid)
{
	for (int i = 0; i < *n; i++)
		if (set[i] == pid)
			return;
	if (pid > 0 && *n < MAX_PIDS)
		set[(*n)++] = pid;
}

/* Every live process of SDIR but the supervisor: the marked ones and the
 * recorded replicas, into SET; the recorded replicas (process group
 * leaders) also into GROUPS. */
static void collect(const char *sdir, pid_t sup, pid_t *set, int *n, pid_t *groups, int *ng)
{
	char *mark = rd_mark(sdir);
	pid_t found[MAX_PIDS];
	int k = mark ? rp_scan_env(mark, found, MAX_PIDS) : 0;
	for (int i = 0; i < k; i++)
		if (found[i] != sup)
			add_pid(set, n, found[i]);
	json_t *state = rs_state(sdir), *r;
	const char *id;
	json_object_foreach(json_object_get(state, "replicas"), id, r) {
		pid_t p = rc_replica_pid(state, id);
		if (p) {
			add_pid(set, n, p);
			add_pid(groups, ng, p);
		}
	}
	json_decref(state);
	free(mark);
}

/* "PID PID ..." of the live pids in SET, for a message. */
static char *pid_list(const pid_t *set, int n)
{
	size_t len = 0;
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	for (int i = 0; i < n; i++)
		if (rp_alive(set[i]))
			fprintf(f, "%s%d", len ? " " : "", (int)set[i]);
	fclose(f);
	return s;
}

/* Stop SET (and GROUPS) and check the mark finds nothing more: up to three
 * rounds, for processes forked while the first ones died. */
static int stop_set(const char *sdir, pid_t *set, int n, pid_t *groups, int ng, long grace_ms,
                    int *count, char **errmsg)
{
	for (int round = 0; round < 3; round++) {
		if (ng)
			rp_stop(groups, ng, grace_ms, true);
		int left = rp_stop(set, n, grace_ms, false);
		if (left) {
			char *l = pid_list(set, n);
			int rc = paved->error(errmsg, "could not stop the processes %s of %s: they "
			                      "survived SIGKILL", l ? l : "?", sdir);
			free(l);
			return rc;
		}
		int before = n;
		ng = 0;
		collect(sdir, 0, set, &n, groups, &ng);
		if (count)
			*count += n - before;
		if (n == before)
			return PAVED_OK;
	}
	return paved->error(errmsg, "processes of %s kept appearing while it was being stopped", sdir);
}

int rc_stop(paved_ctx *ctx, struct rs_svc *s, long grace_ms, int *count, char **errmsg)
{
	(void)ctx;
	pid_t set[MAX_PIDS], groups[MAX_PIDS];
	int n = 0, ng = 0;
	pid_t sup = rc_supervisor(s->sdir);
	*count = 0;
	collect(s->sdir, sup, set, &n, groups, &ng);
	*count = n + (sup ? 1 : 0);
	if (sup) {
		/* the supervisor stops its replicas gracefully, then exits */
		kill(sup, SIGTERM);
		if (!rp_wait_gone(sup, grace_ms + 2000))
			rp_stop(&sup, 1, 0, false);
	}
	int rc = stop_set(s->sdir, set, n, groups, ng, grace_ms, count, errmsg);
	if (rc == PAVED_OK && !rc_supervisor(s->sdir)) {
		char *pidf = rd_file(s->sdir, "supervisor.pid");
		if (pidf)
			unlink(pidf);
		free(pidf);
	}
	return rc;
}

int rc_reap_replica(struct rs_svc *s, pid_t pid, long grace_ms, char **errmsg)
{
	if (pid <= 0 || rp_wait_gone(pid, grace_ms + 2000))
		return PAVED_OK;
	if (rp_stop(&pid, 1, 1000, true) == 0)
		return PAVED_OK;
	return paved->error(errmsg, "replica pid %d of %s/%s survived SIGKILL", (int)pid, s->env,
	                    s->service);
}

int rc_supervise(paved_ctx *ctx, struct rs_svc *s, char **errmsg)
{
	pid_t sup = rc_supervisor(s->sdir);
	if (sup)
		return kill(sup, SIGHUP) == 0 ? PAVED_OK :
		       paved->error(errmsg, "cannot signal the supervisor of %s/%s (pid %d): %s",
		                    s->env, s->service, (int)sup, strerror(errno));
	/* no supervisor: whatever a dead one left behind goes first */
	pid_t set[MAX_PIDS], groups[MAX_PIDS];
	int n = 0, ng = 0, count = 0;
	collect(s->sdir, 0, set, &n, groups, &ng);
	if (n) {
		long grace = json_integer_value(paved->option(ctx, "stop_grace")) * 1000;
		paved->log(ctx, PAVED_LOG_WARN, "%s/%s: its supervisor is gone; stopping the %d "
		           "process(es) it left behind", s->env, s->service, n);
		if (stop_set(s->sdir, set, n, groups, ng, grace, &count, errmsg))
			return PAVED_ERR;
	}
	const char *exe = rc_supervisor_path();
	if (access(exe, X_OK) != 0)
		return paved->error(errmsg, "paved-supervisor is missing: %s: %s (reinstall paved, or "
		                    "run make in the build tree)", exe, strerror(errno));
	char *home = NULL;
	if (asprintf(&home, "PAVED_HOME=%s", s->home) < 0)
		return paved->error(errmsg, "out of memory");
	const char *argv[] = { exe, "--detach", s->service, s->env, NULL };
	const char *env[] = { home, NULL };
	int rc = paved->run(ctx, &(struct paved_cmd){ .argv = argv, .env = env,
	                    .timeout_ms = 15000, .flags = PAVED_RUN_CHECK }, NULL, errmsg);
	free(home);
	return rc;
}
