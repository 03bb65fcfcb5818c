/*
 * sup_replicas.c -- the replicas of one paved-supervisor (see sup.h).
 *
 * Each replica runs in its own process group with PR_SET_PDEATHSIG
 * (SIGKILL): when the supervisor dies, even by SIGKILL, the kernel kills
 * the replica.  Its stdout and stderr come back on pipes; every line goes
 * to RUNTIME_DIR/logs/ID.log with a timestamp (logfile.h).
 */
#include "sup.h"
#include "files.h"
#include "logfile.h"
#include "paths.h"
#include "procs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REPS 64

struct rep {
	char               id[64], version[128];
	json_t            *spec;           /* its entry in spec.json (own reference) */
	pid_t              pid;            /* 0: not running */
	unsigned long long starttime;
	double             started_at, next_start, kill_at;
	int                restarts, streak;
	bool               in_spec;
	int                fd[2];          /* stdout, stderr pipes; -1 when closed */
	char               buf[2][RL_LINE_MAX];
	size_t             len[2];
	struct rl_writer   log;
	char               last_exit[64];
};

static struct rep reps[MAX_REPS];
static int nreps;
static const char *sdir;
static bool dirty = true;
static double grace = 10;
static long long log_max;
static int log_keep;
static const char *const stream_name[2] = { "stdout", "stderr" };

void sr_say(const char *fmt, ...)
{
	char ts[32];
	va_list ap;
	rl_time(rl_now(), ts);
	fprintf(stderr, "%s paved-supervisor[%d]: ", ts, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* A note of the supervisor in replica P's log (and supervisor.log). */
static void note(struct rep *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct rep *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rl_write(&p->log, p->id, p->version, "supervisor", msg, strlen(msg));
	sr_say("%s: %s", p->id, msg);
}

void sr_init(const char *dir)
{
	sdir = dir;
	nreps = 0;
}

static json_t *find(json_t *spec, const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(spec, "replicas"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")) ?: "", id) == 0)
			return r;
	return NULL;
}

/* Ask replica P to stop: SIGTERM to its group now, SIGKILL at kill_at. */
static void stop(struct rep *p)
{
	p->in_spec = false;
	if (p->pid > 0) {
		kill(-p->pid, SIGTERM);
		p->kill_at = rl_now() + grace;
		note(p, "stopping pid %d (SIGTERM; SIGKILL in %.0f s)", (int)p->pid, grace);
	}
	dirty = true;
}

/* Track a new replica R of the spec; it starts on the next tick. */
static void add(json_t *r)
{
	const char *id = json_string_value(json_object_get(r, "id"));
	if (nreps >= MAX_REPS || !id) {
		sr_say("cannot track replica %s: too many replicas", id ? id : "?");
		return;
	}
	struct rep *p = &reps[nreps];
	memset(p, 0, sizeof *p);
	p->fd[0] = p->fd[1] = -1;
	p->log.fd = -1;
	snprintf(p->id, sizeof p->id, "%s", id);
	snprintf(p->version, sizeof p->version, "%s",
	         json_string_value(json_object_get(r, "version")) ?: "");
	p->spec = json_incref(r);
	p->in_spec = true;
	char *logs = rd_file(sdir, "logs"), *path = NULL;
	if (logs && asprintf(&path, "%s/%s.log", logs, id) >= 0 &&
	    rl_open(&p->log, path, log_max, log_keep) != 0)
		sr_say("%s: cannot open its log %s: %s", id, path, strerror(errno));
	free(path), free(logs);
	nreps++;
	dirty = true;
}

void sr_sync(json_t *spec, bool stop_all)
{
	json_t *logs = json_object_get(spec, "logs");
	double g = json_number_value(json_object_get(spec, "stop_grace"));
	grace = g > 0 ? g : 10;
	log_max = json_integer_value(json_object_get(logs, "max_bytes"));
	log_keep = (int)json_integer_value(json_object_get(logs, "keep"));
	for (int i = 0; i < nreps; i++) {
		struct rep *p = &reps[i];
		json_t *r = stop_all ? NULL : find(spec, p->id);
		if (r) {
			json_decref(p->spec);
			p->spec = json_incref(r);
		} else if (p->in_spec) {
			stop(p);
		}
	}
	size_t i;
	json_t *r;
	json_array_foreach(stop_all ? NULL : json_object_get(spec, "replicas"), i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		bool known = false;
		for (int k = 0; k < nreps && id; k++)
			known = known || strcmp(reps[k].id, id) == 0;
		if (id && !known)
			add(r);
	}
}

/* In the child, before exec: the replica's environment. */
static void child_env(struct rep *p, json_t *r)
{
	const char *k;
	json_t *v;
	char port[16];
	json_object_foreach(json_object_get(r, "variables"), k, v)
		if (json_is_string(v))
			setenv(k, json_string_value(v), 1);
	snprintf(port, sizeof port, "%d", (int)json_integer_value(json_object_get(r, "port")));
	setenv("PORT", port, 1);
	setenv("HOST", "127.0.0.1", 1);
	setenv("PAVED_REPLICA", p->id, 1);
	setenv("PAVED_VERSION", p->version, 1);
}

/* The child: its own process group, killed with the supervisor, output
 * to the pipes, then exec.  Never returns. */
static void child(struct rep *p, int out, int err, pid_t parent)
{
	json_t *r = p->spec, *argv = json_object_get(r, "argv");
	size_t n = json_array_size(argv);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)   /* the supervisor died before prctl */
		_exit(1);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	int null = open("/dev/null", O_RDONLY);
	dup2(null, 0), dup2(out, 1), dup2(err, 2);
	char **av = calloc(n + 1, sizeof *av);
	for (size_t i = 0; av && i < n; i++)
		av[i] = (char *)json_string_value(json_array_get(argv, i));
	child_env(p, r);
	const char *dir = json_string_value(json_object_get(r, "dir"));
	if (dir && chdir(dir) != 0) {
		dprintf(2, "paved-supervisor: cannot enter %s: %s\n", dir, strerror(errno));
		_exit(127);
	}
	if (!av || !n || !av[0]) {
		dprintf(2, "paved-supervisor: replica %s has no command\n", p->id);
		_exit(127);
	}
	execvp(av[0], av);
	dprintf(2, "paved-supervisor: cannot run %s: %s\n", av[0], strerror(errno));
	_exit(127);
}

/* Write out what is buffered for stream S of P, as one line. */
static void flush_line(struct rep *p, int s)
{
	if (p->len[s])
		rl_write(&p->log, p->id, p->version, stream_name[s], p->buf[s], p->len[s]);
	p->len[s] = 0;
}

/* Read what stream S of P has (non-blocking); at EOF flush and close. */
static void drain(struct rep *p, int s)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(p->fd[s], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			flush_line(p, s);
			close(p->fd[s]);
			p->fd[s] = -1;
			return;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				flush_line(p, s);
				continue;
			}
			if (p->len[s] == sizeof p->buf[s])
				flush_line(p, s);
			p->buf[s][p->len[s]++] = chunk[i];
		}
	}
}

static void close_pipes(struct rep *p)
{
	for (int s = 0; s < 2; s++)
		if (p->fd[s] >= 0) {
			drain(p, s);
			if (p->fd[s] >= 0)
				close(p->fd[s]);
			flush_line(p, s);
			p->fd[s] = -1;
		}
}

static void spawn(struct rep *p)
{
	int out[2], err[2];
	close_pipes(p);   /* a previous run's children may still hold them */
	if (pipe2(out, O_CLOEXEC) != 0)
		goto fail;
	if (pipe2(err, O_CLOEXEC) != 0) {
		close(out[0]), close(out[1]);
		goto fail;
	}
	pid_t self = getpid(), pid = fork();
	if (pid == 0)
		child(p, out[1], err[1], self);
	close(out[1]), close(err[1]);
	if (pid < 0) {
		close(out[0]), close(err[0]);
		goto fail;
	}
	p->fd[0] = out[0], p->fd[1] = err[0];
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->starttime = rp_starttime(pid);
	p->started_at = rl_now();
	p->kill_at = 0;
	note(p, "started pid %d on port %d", (int)pid,
	     (int)json_integer_value(json_object_get(p->spec, "port")));
	dirty = true;
	return;
fail:
	note(p, "cannot start: %s; trying again in 5 s", strerror(errno));
	p->next_start = rl_now() + 5;
}

void sr_reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < nreps; i++) {
			struct rep *p = &reps[i];
			if (p->pid != pid)
				continue;
			p->pid = 0;
			p->starttime = 0;
			dirty = true;
			if (WIFEXITED(st))
				snprintf(p->last_exit, sizeof p->last_exit, "exit status %d", WEXITSTATUS(st));
			else
				snprintf(p->last_exit, sizeof p->last_exit, "signal %d", WTERMSIG(st));
			if (!p->in_spec) {
				note(p, "stopped (%s)", p->last_exit);
				continue;
			}
			double up = rl_now() - p->started_at, delay = 0.5;
			p->streak = up > 10 ? 1 : p->streak + 1;
			for (int k = 1; k < p->streak && delay < 30; k++)
				delay *= 2;
			if (delay > 30)
				delay = 30;
			p->next_start = rl_now() + delay;
			p->restarts++;
			note(p, "exited (%s) after %.1f s; restarting in %.1f s", p->last_exit, up, delay);
		}
	}
}

long sr_tick(void)
{
	double now = rl_now(), next = -1;
	for (int i = 0; i < nreps; i++) {
		struct rep *p = &reps[i];
		if (p->in_spec && p->pid == 0 && now >= p->next_start)
			spawn(p);
		else if (!p->in_spec && p->pid > 0 && p->kill_at && now >= p->kill_at) {
			note(p, "pid %d outlived its stop grace: SIGKILL", (int)p->pid);
			kill(-p->pid, SIGKILL);
			kill(p->pid, SIGKILL);
			p->kill_at = 0;
		}
		double due = p->in_spec && p->pid == 0 ? p->next_start :
		             !p->in_spec && p->pid > 0 ? p->kill_at : 0;
		if (due > 0 && (next < 0 || due < next))
			next = due;
	}
	for (int i = 0; i < nreps;) {
		struct rep *p = &reps[i];
		if (p->in_spec || p->pid > 0) {
			i++;
			continue;
		}
		close_pipes(p);
		rl_close(&p->log);
		json_decref(p->spec);
		if (i != nreps - 1)
			memcpy(p, &reps[nreps - 1], sizeof *p);
		nreps--;
		dirty = true;
	}
	if (next < 0)
		return -1;
	return next <= now ? 0 : (long)((next - now) * 1000) + 1;
}

int sr_pollfds(struct pollfd *fds, int max)
{
	int n = 0;
	for (int i = 0; i < nreps; i++)
		for (int s = 0; s < 2; s++)
			if (reps[i].fd[s] >= 0 && n < max)
				fds[n++] = (struct pollfd){ .fd = reps[i].fd[s], .events = POLLIN };
	return n;
}

void sr_read(const struct pollfd *fds, int n)
{
	for (int k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (int i = 0; i < nreps; i++)
			for (int s = 0; s < 2; s++)
				if (reps[i].fd[s] == fds[k].fd)
					drain(&reps[i], s);
	}
}

int sr_count(void)
{
	return nreps;
}

void sr_save_state(void)
{
	if (!dirty)
		return;
	char ts[32];
	json_t *rs = json_object();
	for (int i = 0; i < nreps; i++) {
		struct rep *p = &reps[i];
		const char *state = p->pid > 0 ? (p->in_spec ? "running" : "stopping") : "backoff";
		rl_time(p->started_at, ts);
		json_t *o = json_pack("{sI sI ss si ss ss}", "pid", (json_int_t)p->pid,
		                      "starttime", (json_int_t)p->starttime, "state", state,
		                      "restarts", p->restarts, "last_exit", p->last_exit,
		                      "version", p->version);
		if (p->started_at > 0)
			json_object_set_new(o, "started_at", json_string(ts));
		json_object_set_new(rs, p->id, o);
	}
	json_t *st = json_pack("{sI sI so}", "pid", (json_int_t)getpid(),
	                       "starttime", (json_int_t)rp_starttime(getpid()), "replicas", rs);
	char *path = rd_file(sdir, "state.json");
	if (!path || rf_write_json(path, st) != 0)
		sr_say("cannot write %s: %s", path ? path : "state.json", strerror(errno));
	else
		dirty = false;
	free(path);
	json_decref(st);
}
