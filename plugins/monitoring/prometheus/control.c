/*
 * control.c -- starting and stopping the embedded Prometheus (see pm.h;
 * its files are described in backend.c).
 *
 * Prometheus does not detach itself, so paved runs it under a small
 * daemon of its own, paved-metricsd (metricsd.c): started with paved->run
 * as `paved-metricsd --detach SRV`, it takes SRV/metricsd.lock, serves
 * SRV/textfile on the exporter port, starts Prometheus (which dies with
 * it) and returns once both run.  It stops them on SIGTERM and when the
 * home is gone.  As root it becomes the user of metricsd.json's "user"
 * (the option run_as, else prometheus, else nobody; never root) before it
 * does anything else, like the servers provision runs through runuser,
 * but only after opening the home (O_PATH): that user cannot enter the
 * home, yet the daemon must see it removed.  "Running" means a process
 * holds metricsd.lock, so a stale pid file never fools it.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "pm.h"

#define MAX_PIDS 64

static void nap(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* paved-metricsd: the build tree's when this plugin was loaded from the
 * build tree, else the installed one. */
static const char *metricsd_path(void)
{
	Dl_info info;
	size_t n = strlen(PM_ABS_BUILDDIR);
	if (dladdr((void *)metricsd_path, &info) && info.dli_fname &&
	    strncmp(info.dli_fname, PM_ABS_BUILDDIR, n) == 0 && info.dli_fname[n] == '/')
		return PM_BUILD_METRICSD;
	return PM_METRICSD;
}

/* As root: the account Prometheus runs as (run_as, else prometheus, else
 * nobody), never root.  NULL with *ERRMSG. */
static const struct passwd *runner(paved_ctx *ctx, char **errmsg)
{
	const char *name = json_string_value(paved->option(ctx, "run_as"));
	const struct passwd *pw = name && *name ? getpwnam(name) : getpwnam("prometheus");
	if (!pw && !(name && *name))
		pw = getpwnam("nobody");
	if (!pw || pw->pw_uid == 0)
		return paved->error(errmsg, "Prometheus must not run as root and there is no user '%s' "
		                    "to run it as: set plugins.prometheus.run_as",
		                    name && *name ? name : "prometheus"), NULL;
	return pw;
}

/* NAME as an absolute path: itself when it has a '/', else found in PATH. */
static char *which(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	const char *path = getenv("PATH");
	char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		char *p = pc_printf("%s/%s", *d ? d : ".", name);
		if (p && access(p, X_OK) == 0) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

/* The arguments of process PID (NUL-separated, malloc()ed) and their size. */
static char *cmdline(pid_t pid, size_t *len)
{
	char path[64], *buf = malloc(65536);
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 && buf ? read(fd, buf, 65535) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Is PID a process of this backend: Prometheus with our configuration, or
 * paved-metricsd of our directory? */
static bool ours(const struct pmb *b, pid_t pid)
{
	size_t len = 0;
	char *c = cmdline(pid, &len), *conf = pc_printf("--config.file=%s/etc/prometheus.yml", b->real);
	bool mine = false, metricsd = false;
	for (size_t off = 0; c && conf && off < len; off += strlen(c + off) + 1) {
		const char *a = c + off;
		if (off == 0)
			metricsd = strstr(a, "paved-metricsd") != NULL;
		if (!strcmp(a, conf) || (metricsd && off > 0 && !strcmp(a, b->real)))
			mine = true;
	}
	free(c), free(conf);
	return mine;
}

/* Every live process of this backend, into PIDS; how many. */
static int scan(const struct pmb *b, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	while (d && n < max && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1 || pid == getpid())
			continue;
		if (ours(b, (pid_t)pid))
			pids[n++] = (pid_t)pid;
	}
	if (d)
		closedir(d);
	return n;
}

/* The pid in DIR/NAME, or 0. */
static pid_t pid_in(const char *dir, const char *name)
{
	char *p = pc_printf("%s/%s", dir, name), *t = p ? pc_read_file(p) : NULL;
	long pid = t ? strtol(t, NULL, 10) : 0;
	free(p), free(t);
	return pid > 1 ? (pid_t)pid : 0;
}

bool pmb_running(const struct pmb *b)
{
	char *p = b->real ? pc_printf("%s/metricsd.lock", b->real) : NULL;
	int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	bool held = fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	if (fd >= 0)
		close(fd);
	free(p);
	return held;
}

pid_t pmb_pid(const struct pmb *b)
{
	return pmb_running(b) ? pid_in(b->real, "metricsd.pid") : 0;
}

void pmb_signal_prometheus(const struct pmb *b, int sig)
{
	pid_t pid = b->real && pmb_running(b) ? pid_in(b->real, "prometheus.pid") : 0;
	if (pid && ours(b, pid))
		kill(pid, sig);
}

bool pmb_ready(const struct pmb *b, long timeout_ms, char **why)
{
	struct pmh_req r = { .url = b->url ? pc_printf("%s/-/ready", b->url) : NULL };
	if (!r.url) {
		if (why)
			*why = strdup("no URL yet");
		return false;
	}
	pmh_many(&r, 1, timeout_ms);
	bool ok = !r.err && r.status == 200;
	if (!ok && why)
		*why = r.err ? strdup(r.err) : pc_printf("HTTP %ld: %.200s", r.status, r.body);
	pmh_free(&r);
	return ok;
}

/* SRV, made if missing: as root the system directory owned by the runner,
 * linked from the home; else a directory in the home.  Sets B->real. */
static int setup(paved_ctx *ctx, struct pmb *b, char **errmsg)
{
	if (!b->real && geteuid() == 0) {
		const struct passwd *pw = runner(ctx, errmsg);
		char *dir = pw ? pc_sysdir("prometheus", b->home) : NULL;
		if (!pw)
			return PAVED_ERR;
		if (!dir || pc_sysdir_make(dir, b->home, b->srv, pw->pw_uid, pw->pw_gid) != 0) {
			paved->error(errmsg, "cannot create %s: %s", dir ? dir : "?", strerror(errno));
			free(dir);
			return PAVED_ERR;
		}
		free(dir);
	} else if (!b->real && pc_mkdir_p(b->srv, 0700) != 0) {
		return paved->error(errmsg, "cannot create %s: %s", b->srv, strerror(errno));
	}
	if (!b->real && !(b->real = pmb_find_real(b)))
		return paved->error(errmsg, "cannot find %s after making it", b->srv);
	return PAVED_OK;
}

/* A loopback port for WHAT: the option NAME when set (it must be free),
 * else PREV when still free, else any free one. */
static int port_for(paved_ctx *ctx, const char *name, int prev, int *port, char **errmsg)
{
	json_t *o = paved->option(ctx, name);
	int want = (int)json_integer_value(o);
	if (want > 0) {
		if (pc_port_taken(want))
			return paved->error(errmsg, "port 127.0.0.1:%d is in use; stop what listens there "
			                    "or set plugins.prometheus.%s to another port (0 picks a free one)",
			                    want, name);
		*port = want;
		return PAVED_OK;
	}
	if (prev > 0 && !pc_port_taken(prev)) {
		*port = prev;
		return PAVED_OK;
	}
	if ((*port = pc_free_port()) <= 0)
		return paved->error(errmsg, "no free loopback port: %s", strerror(errno));
	return PAVED_OK;
}

/* SRV/metricsd.json: how paved-metricsd runs Prometheus (binary PROM). */
static int daemon_config(paved_ctx *ctx, struct pmb *b, const char *prom, char **errmsg)
{
	char real_home[4096];
	const char *ret = json_string_value(paved->option(ctx, "retention"));
	json_t *argv = json_array();
	json_array_append_new(argv, json_string(prom));
	json_array_append_new(argv, json_sprintf("--config.file=%s/etc/prometheus.yml", b->real));
	json_array_append_new(argv, json_sprintf("--storage.tsdb.path=%s/data", b->real));
	json_array_append_new(argv, json_sprintf("--web.listen-address=127.0.0.1:%d", b->port));
	json_array_append_new(argv, json_sprintf("--storage.tsdb.retention.time=%s",
	                                         ret && *ret ? ret : "15d"));
	json_t *cfg = json_pack("{ss si si so ss si}", "home",
	                        realpath(b->home, real_home) ? real_home : b->home,
	                        "prometheus_port", b->port, "exporter_port", b->exporter_port,
	                        "argv", argv, "textfile", "textfile", "log_max_bytes", 4 << 20);
	if (geteuid() == 0) {
		const struct passwd *pw = runner(ctx, errmsg);
		if (!pw) {
			json_decref(cfg);
			return PAVED_ERR;
		}
		json_object_set_new(cfg, "user", json_string(pw->pw_name));
	}
	char *text = cfg ? json_dumps(cfg, JSON_INDENT(2)) : NULL;
	char *path = pc_printf("%s/metricsd.json", b->real);
	int rc = PAVED_OK;
	if (!text || !path)
		rc = paved->error(errmsg, "out of memory");
	else if (pmf_put(path, text, 0644, NULL) != 0)
		rc = paved->error(errmsg, "cannot write %s: %s", path, strerror(errno));
	json_decref(cfg);
	free(text), free(path);
	return rc;
}

/* The last non-empty line of SRV/NAME ("" when none), malloc()ed. */
static char *last_line(const struct pmb *b, const char *name)
{
	char *p = pc_printf("%s/%s", b->real, name), *t = p ? pc_read_file(p) : NULL;
	char *l = pc_last_line(t);
	free(p), free(t);
	return l;
}

/* Start paved-metricsd for B (holding SRV/lock). */
/* The Prometheus program as an absolute path (malloc()ed), or NULL with
 * *ERRMSG naming the Debian package. */
static char *prometheus_program(paved_ctx *ctx, char **errmsg)
{
	const char *want = json_string_value(paved->option(ctx, "prometheus"));
	char *prom = which(want && *want ? want : "prometheus");
	if (!prom)
		paved->error(errmsg, "Prometheus is not installed: '%s' is not in PATH; " PM_INSTALL_HINT
		             ", or name a Prometheus of yours in plugins.prometheus.url",
		             want && *want ? want : "prometheus");
	return prom;
}

static int spawn(paved_ctx *ctx, struct pmb *b, char **errmsg)
{
	const char *exe = metricsd_path();
	char *prom = prometheus_program(ctx, errmsg);
	int rc = PAVED_ERR;
	struct paved_run_result res = { 0 };
	if (!prom)
		goto out;
	if (access(exe, X_OK) != 0) {
		paved->error(errmsg, "paved-metricsd is missing: %s: %s (reinstall paved, or run make "
		             "in the build tree)", exe, strerror(errno));
		goto out;
	}
	if (port_for(ctx, "port", b->port, &b->port, errmsg) ||
	    port_for(ctx, "exporter_port", b->exporter_port, &b->exporter_port, errmsg))
		goto out;
	if (b->exporter_port == b->port && port_for(ctx, "exporter_port", 0, &b->exporter_port, errmsg))
		goto out;
	free(b->url);
	b->url = pc_printf("http://127.0.0.1:%d", b->port);
	if (pmb_sync(ctx, b, errmsg) || daemon_config(ctx, b, prom, errmsg))
		goto out;
	const char *v[] = { exe, "--detach", b->real, NULL };
	if (paved->run(ctx, &(struct paved_cmd){ .argv = v, .timeout_ms = 30000 }, &res, errmsg))
		goto out;
	if (res.status != 0) {
		char *l = pc_last_line(res.err && *res.err ? res.err : res.out);
		paved->error(errmsg, "Prometheus did not start: %s (see %s/prometheus.log)",
		             l && *l ? l : "paved-metricsd failed", b->real);
		free(l);
		goto out;
	}
	json_t *ev = json_pack("{ss ss si}", "url", b->url, "dir", b->real, "port", b->port);
	paved->emit(ctx, "metrics.backend.started", ev);
	json_decref(ev);
	rc = PAVED_OK;
out:
	free(res.out), free(res.err);
	free(prom);
	return rc;
}

/* Wait until B answers /-/ready, giving up at the option start_timeout or
 * when paved-metricsd exits. */
static int wait_ready(paved_ctx *ctx, struct pmb *b, char **errmsg)
{
	json_t *t = paved->option(ctx, "start_timeout");
	double deadline = pc_now() + (json_is_integer(t) ? (double)json_integer_value(t) : 60);
	char *why = NULL;
	while (!pmb_ready(b, 1000, &why)) {
		if (!pmb_running(b) || pc_now() > deadline) {
			char *l = last_line(b, "prometheus.log"), *m = last_line(b, "metricsd.log");
			int rc = paved->error(errmsg, "Prometheus at %s %s: %s", b->url ? b->url : "?",
			                      pmb_running(b) ? "is not ready in time" : "exited",
			                      l && *l ? l : m && *m ? m : why ? why : "no answer");
			free(l), free(m), free(why);
			return rc;
		}
		free(why);
		why = NULL;
		nap(100);
	}
	return PAVED_OK;
}

int pmb_ensure(paved_ctx *ctx, struct pmb *b, bool wait, bool *started, char **errmsg)
{
	char *why = NULL, *lockp = NULL;
	int fd = -1, rc;
	if (started)
		*started = false;
	if (!b->managed) {
		if (wait && !pmb_ready(b, pmq_timeout(ctx), &why)) {
			rc = paved->error(errmsg, "the Prometheus at %s (plugins.prometheus.url) does not "
			                  "answer: %s", b->url, why ? why : "?");
			free(why);
			return rc;
		}
		return PAVED_OK;
	}
	if (!pmb_running(b)) {   /* nothing made for a Prometheus that is not installed */
		char *prom = prometheus_program(ctx, errmsg);
		if (!prom)
			return PAVED_ERR;
		free(prom);
	}
	if ((rc = setup(ctx, b, errmsg)))
		return rc;
	if (!(lockp = pc_printf("%s/lock", b->real)) ||
	    (fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(fd, LOCK_EX) != 0) {
		rc = paved->error(errmsg, "cannot lock %s: %s", lockp ? lockp : b->real, strerror(errno));
		goto out;
	}
	if (!pmb_running(b)) {
		if ((rc = spawn(ctx, b, errmsg)))
			goto out;
		if (started)
			*started = true;
	}
	close(fd);
	fd = -1;
	if (wait)
		rc = wait_ready(ctx, b, errmsg);
out:
	if (fd >= 0)
		close(fd);
	free(lockp);
	return rc;
}

/* Until no process of B is left or MS milliseconds passed: how many are left. */
static int wait_gone(const struct pmb *b, long ms)
{
	pid_t pids[MAX_PIDS];
	int n;
	double end = pc_now() + ms / 1000.0;
	while ((n = scan(b, pids, MAX_PIDS)) > 0 && pc_now() < end)
		nap(50);
	return n;
}

int pmb_stop(paved_ctx *ctx, struct pmb *b, int *stopped, char **errmsg)
{
	pid_t pids[MAX_PIDS];
	char *lockp = NULL;
	int fd = -1, rc = PAVED_OK, n;
	(void)ctx;
	*stopped = 0;
	if (!b->managed || !b->real)
		return PAVED_OK;
	if (!(lockp = pc_printf("%s/lock", b->real)) ||
	    (fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(fd, LOCK_EX) != 0) {
		rc = paved->error(errmsg, "cannot lock %s: %s", lockp ? lockp : b->real, strerror(errno));
		goto out;
	}
	*stopped = scan(b, pids, MAX_PIDS);
	pid_t d = pmb_pid(b);
	if (d > 0 && ours(b, d))
		kill(d, SIGTERM);     /* it stops Prometheus, then exits */
	else
		for (int i = 0; i < *stopped; i++)
			kill(pids[i], SIGTERM);
	if ((n = wait_gone(b, 30000)) > 0) {
		n = scan(b, pids, MAX_PIDS);
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (wait_gone(b, 5000) > 0)
			rc = paved->error(errmsg, "a Prometheus of %s survived SIGKILL", b->real);
	}
out:
	if (fd >= 0)
		close(fd);
	free(lockp);
	return rc;
}
