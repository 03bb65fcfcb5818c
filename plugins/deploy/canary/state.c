/*
 * state.c -- a rollout's state and its controller (see canary.h).
 *
 * $PAVED_HOME/deploy/canary/ENV/SERVICE/ (0700):
 *   rollout.json    the state (0600: it holds the replicas' variables),
 *                   written to a temporary file and renamed
 *   lock            flock around every read-modify-write (short holds)
 *   controller.lock held by the live controller for its whole life: the
 *                   kernel drops it when the controller dies, even by
 *                   kill -9, so "is it alive" is one try of the lock
 *   abort           the abort marker: once there, no weight but stable's
 *                   is sent (traffic.c)
 *   controller.log  the controller's output
 *   analysis.prom   the analysis metrics in Prometheus's text format
 *
 * A controller is started detached through paved->run of the small
 * program paved-canary-detach, which runs `paved --home HOME rollout
 * _controller SERVICE --env ENV` in its own session and returns once the
 * controller holds its lock (it says "ready PID" on an inherited pipe).
 */
#include <errno.h>
#include <fcntl.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "canary.h"

double cn_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int cn_paths(paved_ctx *ctx, const char *svc, const char *env, struct cn_paths *p)
{
	memset(p, 0, sizeof *p);
	p->dir = pc_printf("%s/deploy/canary/%s/%s", paved->home(ctx), env, svc);
	if (!p->dir || pc_mkdir_p(p->dir, 0700) != 0)
		return -1;
	p->state = pc_printf("%s/rollout.json", p->dir);
	p->lock = pc_printf("%s/lock", p->dir);
	p->ctl = pc_printf("%s/controller.lock", p->dir);
	p->abort = pc_printf("%s/abort", p->dir);
	p->log = pc_printf("%s/controller.log", p->dir);
	p->metrics = pc_printf("%s/analysis.prom", p->dir);
	return p->state && p->lock && p->ctl && p->abort && p->log && p->metrics ? 0 : -1;
}

void cn_paths_free(struct cn_paths *p)
{
	free(p->dir), free(p->state), free(p->lock), free(p->ctl), free(p->abort), free(p->log);
	free(p->metrics);
	memset(p, 0, sizeof *p);
}

int cn_lock(const struct cn_paths *p)
{
	int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

void cn_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

json_t *cn_load(const struct cn_paths *p)
{
	json_t *st = json_load_file(p->state, 0, NULL);
	if (st && !json_is_object(st))
		json_decref(st), st = NULL;
	return st;
}

int cn_save(const struct cn_paths *p, json_t *st, char **errmsg)
{
	json_object_set_new(st, "updated", json_real(cn_now()));
	char *text = json_dumps(st, JSON_COMPACT);
	int rc = text && pc_write_file(p->state, text, strlen(text), 0600) == 0 ? PAVED_OK :
	         paved->error(errmsg, "cannot write %s: %s", p->state, strerror(errno));
	free(text);
	return rc;
}

bool cn_controller_alive(const struct cn_paths *p, long *pid)
{
	int fd = open(p->ctl, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	bool alive = false;
	if (pid)
		*pid = 0;
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		alive = true;
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		if (n > 0 && pid)
			*pid = strtol(buf, NULL, 10);
	}
	close(fd);   /* releases the lock if we got it */
	return alive;
}

bool cn_active(json_t *st)
{
	const char *ph = json_string_value(json_object_get(st, "phase"));
	return st && ph && (!strcmp(ph, CN_PROGRESSING) || !strcmp(ph, CN_PAUSED) ||
	                    json_is_true(json_object_get(st, "cleanup")));
}

void cn_note(json_t *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = pc_vprintf(fmt, ap);
	va_end(ap);
	json_t *h = json_object_get(st, "history");
	if (!json_is_array(h))
		json_object_set_new(st, "history", h = json_array());
	double t0 = json_number_value(json_object_get(st, "started"));
	json_array_append_new(h, json_pack("{sf ss}", "seconds", t0 > 0 ? cn_now() - t0 : 0.0, "step",
	                                   s ? s : "?"));
	free(s);
}

/* Where paved-canary-detach is: the build tree's copy when this plugin
 * was loaded from the build tree, else the installed one. */
static const char *detach_path(void)
{
	Dl_info info;
	size_t n = strlen(CN_ABS_BUILDDIR);
	if (dladdr((void *)detach_path, &info) && info.dli_fname &&
	    strncmp(info.dli_fname, CN_ABS_BUILDDIR, n) == 0 && info.dli_fname[n] == '/')
		return CN_BUILD_DETACH;
	return CN_DETACH;
}

/* The paved binary the controller runs: the option "paved", else this
 * process's executable when it is paved, else the build tree's (when this
 * plugin was loaded from it) or the installed one.  malloc()ed. */
static char *paved_binary(paved_ctx *ctx)
{
	const char *opt = json_string_value(paved->option(ctx, "paved"));
	if (opt && *opt)
		return strdup(opt);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		const char *base = strrchr(exe, '/');
		if (base && !strcmp(base + 1, "paved"))
			return strdup(exe);
	}
	return strdup(strcmp(detach_path(), CN_BUILD_DETACH) ? CN_PAVED : CN_BUILD_PAVED);
}

int cn_start_controller(paved_ctx *ctx, const char *svc, const char *env, char **errmsg)
{
	struct cn_paths p;
	char *bin = paved_binary(ctx);
	int rc = PAVED_ERR;
	if (cn_paths(ctx, svc, env, &p) || !bin) {
		paved->error(errmsg, "cannot make the rollout directory of %s (%s): %s", svc, env,
		             strerror(errno));
		goto done;
	}
	const char *argv[] = { detach_path(), p.log, bin, "--home", paved->home(ctx), "rollout",
	                       "_controller", svc, "--env", env, NULL };
	struct paved_run_result res = { 0 };
	if (paved->run(ctx, &(struct paved_cmd){ .argv = argv, .timeout_ms = 30000 }, &res, errmsg))
		goto done;
	if (res.status != 0) {
		char *last = pc_last_line(res.out && *res.out ? res.out : res.err);
		paved->error(errmsg, "the rollout controller of %s (%s) did not start: %s (see %s)", svc,
		             env, last && *last ? last : "no message", p.log);
		free(last);
	} else {
		rc = PAVED_OK;
	}
	free(res.out), free(res.err);
done:
	cn_paths_free(&p);
	free(bin);
	return rc;
}

int cn_ensure_controller(paved_ctx *ctx, const char *svc, const char *env, bool *restarted,
                         char **errmsg)
{
	struct cn_paths p;
	int rc = PAVED_OK;
	*restarted = false;
	if (cn_paths(ctx, svc, env, &p))
		return paved->error(errmsg, "out of memory");
	json_t *st = cn_load(&p);
	if (cn_active(st) && !cn_controller_alive(&p, NULL)) {
		int fd = cn_lock(&p);
		json_decref(st);
		st = cn_load(&p);
		if (cn_active(st)) {
			cn_note(st, "the controller was not running (killed?): a new one resumes the "
			        "rollout at step %d", (int)json_integer_value(json_object_get(st, "step")) + 1);
			rc = cn_save(&p, st, errmsg);
		}
		cn_unlock(fd);
		if (!rc && cn_active(st)) {
			rc = cn_start_controller(ctx, svc, env, errmsg);
			*restarted = rc == PAVED_OK;
		}
	}
	json_decref(st);
	cn_paths_free(&p);
	return rc;
}
