/*
 * supervisor.c -- paved-supervisor: keeps one service's replicas running.
 *
 *   paved-supervisor --detach SERVICE ENV   (what the plugin runs)
 *   paved-supervisor SERVICE ENV            (the supervisor itself)
 *
 * Both read PAVED_HOME.  --detach forks, starts a new session, forks
 * again and re-executes this program as `paved-supervisor SERVICE ENV`
 * (its title in ps) with PAVED_RUNTIME_DIR set, so the supervisor and all
 * it starts carry the mark the plugin finds them by (procs.h).  It waits
 * until the supervisor holds its lock, then exits: 0 when the supervisor
 * runs (or one already did), 1 with the reason on stderr.
 *
 * The supervisor: one per service dir, guaranteed by an flock on
 * supervisor.lock held for its whole life; writes supervisor.pid; its
 * stdout and stderr go to supervisor.log; it is a child subreaper, so what
 * its replicas leave behind comes back to it.  It follows spec.json (on
 * SIGHUP and whenever the file changes), keeps state.json current, and
 * exits when the spec lists no replica (checked again under the service's
 * lock, so a concurrent start either sees it gone or is seen by it).  On
 * SIGTERM or SIGINT it stops every replica and exits.
 */
#include "pc.h"
#include "sup.h"
#include "files.h"
#include "paths.h"
#include "procs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOTIFY_VAR "PAVED_SUPERVISOR_NOTIFY"

static int sigpipe_fd[2] = { -1, -1 };
static volatile sig_atomic_t got_hup, got_term;

static void on_signal(int s)
{
	int e = errno;
	if (s == SIGHUP)
		got_hup = 1;
	else if (s == SIGTERM || s == SIGINT)
		got_term = 1;
	if (write(sigpipe_fd[1], "", 1) < 0) {
		/* the pipe is full: a wakeup is pending anyway */
	}
	errno = e;
}

static int usage(void)
{
	fprintf(stderr, "Usage: paved-supervisor [--detach] SERVICE ENV\n"
	        "Keeps the replicas of $PAVED_HOME/runtime/ENV/SERVICE/spec.json running.\n"
	        "Started by the runtime_process plugin of paved; not meant to be run by hand.\n");
	return 2;
}

/* Check SERVICE, ENV and PAVED_HOME; *SDIR (malloc()ed) is the service's
 * runtime dir, which must exist.  0, or 2 after a message. */
static int check(const char *svc, const char *env, char **sdir)
{
	const char *home = getenv("PAVED_HOME");
	struct stat st;
	if (!rd_valid_service(svc) || !rd_valid_env(env)) {
		fprintf(stderr, "paved-supervisor: invalid service or env name\n");
		return 2;
	}
	if (!home || home[0] != '/') {
		fprintf(stderr, "paved-supervisor: PAVED_HOME must be set to an absolute path\n");
		return 2;
	}
	*sdir = rd_service_dir(home, env, svc);
	if (!*sdir || stat(*sdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "paved-supervisor: %s is not a directory\n", *sdir ? *sdir : "?");
		return 2;
	}
	return 0;
}

/* --detach: start the supervisor in its own session and wait until it is
 * ready (it writes "ok PID" or "busy PID" to the notify pipe) or failed. */
static int detach(const char *svc, const char *env)
{
	char *sdir = NULL, *mark = NULL, msg[512];
	char *const argv[] = { "paved-supervisor", (char *)svc, (char *)env, NULL };
	char *envs[] = { NULL, NULL };   /* the mark every process of the service carries */
	int rc = check(svc, env, &sdir);
	if (rc)
		goto out;
	rc = 1;
	if (!(mark = rd_mark(sdir))) {
		fprintf(stderr, "paved-supervisor: %s\n", strerror(errno));
		goto out;
	}
	envs[0] = mark;
	rc = pc_daemon_spawn(argv, NOTIFY_VAR, envs, msg, sizeof msg);
	if (rc)
		fprintf(stderr, "paved-supervisor: %s/%s: %s", env, svc,
		        *msg ? msg : "the supervisor exited before it was ready; see supervisor.log\n");
out:
	free(sdir), free(mark);
	return rc;
}

/* The spec, or an empty one when it cannot be read. */
static json_t *load_spec(const char *path, struct stat *seen)
{
	json_t *s = rf_read_json(path);
	if (stat(path, seen) != 0)
		memset(seen, 0, sizeof *seen);
	return s ? s : json_pack("{s[]}", "replicas");
}

static bool changed(const char *path, const struct stat *seen)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return seen->st_ino != 0;
	return st.st_ino != seen->st_ino || st.st_size != seen->st_size ||
	       st.st_mtim.tv_sec != seen->st_mtim.tv_sec || st.st_mtim.tv_nsec != seen->st_mtim.tv_nsec;
}

static void install_signals(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The main loop: follow the spec, reap, restart, read output, until no
 * replica is left.  Returns with the service lock held in *SVC_LOCK when
 * it ends because the spec is empty. */
static void loop(const char *specpath, const char *lockpath, int *svc_lock)
{
	struct stat seen;
	json_t *spec = load_spec(specpath, &seen);
	bool terminating = false;
	sr_sync(spec, false);
	for (;;) {
		if (got_hup || changed(specpath, &seen)) {
			got_hup = 0;
			json_decref(spec);
			spec = load_spec(specpath, &seen);
			sr_sync(spec, terminating);
		}
		if (got_term && !terminating) {
			terminating = true;
			sr_say("SIGTERM: stopping every replica");
			sr_sync(spec, true);
		}
		sr_reap();
		long wait = sr_tick();
		sr_save_state();
		if (sr_count() == 0) {
			if (terminating)
				break;
			if (json_array_size(json_object_get(spec, "replicas")) == 0) {
				/* empty: confirm under the service's lock before leaving */
				*svc_lock = rf_lock(lockpath, 0, 0);
				json_decref(spec);
				spec = load_spec(specpath, &seen);
				if (json_array_size(json_object_get(spec, "replicas")) == 0)
					break;
				rf_unlock(*svc_lock);
				*svc_lock = -1;
				sr_sync(spec, false);
				continue;
			}
		}
		struct pollfd fds[129];
		fds[0] = (struct pollfd){ .fd = sigpipe_fd[0], .events = POLLIN };
		int n = 1 + sr_pollfds(fds + 1, 128);
		if (wait < 0 || wait > 1000)
			wait = 1000;   /* look at the spec at least once a second */
		if (poll(fds, (nfds_t)n, (int)wait) > 0) {
			if (fds[0].revents) {
				char drainbuf[64];
				while (read(sigpipe_fd[0], drainbuf, sizeof drainbuf) > 0)
					;
			}
			sr_read(fds + 1, n - 1);
		}
	}
	json_decref(spec);
}

static int supervise(const char *svc, const char *env)
{
	char *sdir = NULL, *specpath = NULL, *lockpath = NULL, *suplock = NULL, *pidpath = NULL;
	int notify = pc_daemon_notify_fd(NOTIFY_VAR), rc = check(svc, env, &sdir), me = -1, svc_lock = -1;
	unsetenv(NOTIFY_VAR);
	if (rc) {
		dprintf(notify, "invalid arguments\n");
		goto out;
	}
	rc = 1;
	char *log = rd_file(sdir, "supervisor.log");
	pc_daemon_stdio(log, 0600, &notify, 1);   /* no log: /dev/null */
	free(log);
	if (!(specpath = rd_file(sdir, "spec.json")) || !(lockpath = rd_file(sdir, "lock")) ||
	    !(suplock = rd_file(sdir, "supervisor.lock")) ||
	    !(pidpath = rd_file(sdir, "supervisor.pid")) || chdir(sdir) != 0) {
		dprintf(notify, "cannot enter %s: %s\n", sdir, strerror(errno));
		goto out;
	}
	if ((me = rf_lock(suplock, 0, 1)) < 0) {
		int e = errno, other = 0;
		FILE *f = fopen(pidpath, "re");
		if (f && fscanf(f, "%d", &other) != 1)
			other = 0;
		if (f)
			fclose(f);
		if (e == EWOULDBLOCK || e == EAGAIN) {
			dprintf(notify, "busy %d\n", other);   /* one runs: it follows the spec */
			rc = 0;
		} else {
			dprintf(notify, "cannot lock %s: %s\n", suplock, strerror(e));
		}
		goto out;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
		dprintf(notify, "pipe: %s\n", strerror(errno));
		goto out;
	}
	install_signals();
	char pidtext[32];
	snprintf(pidtext, sizeof pidtext, "%d\n", (int)getpid());
	if (rf_write_atomic(pidpath, pidtext, strlen(pidtext)) != 0) {
		dprintf(notify, "cannot write %s: %s\n", pidpath, strerror(errno));
		goto out;
	}
	sr_init(sdir);
	sr_say("supervising %s/%s", env, svc);
	dprintf(notify, "ok %d\n", (int)getpid());
	close(notify);
	notify = -1;
	loop(specpath, lockpath, &svc_lock);
	/* leave: the pid file first, then the supervisor lock, and only then
	 * (at exit) the service lock a concurrent start may be waiting on */
	unlink(pidpath);
	rf_unlock(me);
	me = -1;
	sr_say("no replica left: exiting");
	rc = 0;
out:
	if (notify >= 0)
		close(notify);
	rf_unlock(me);
	free(specpath), free(lockpath), free(suplock), free(pidpath), free(sdir);
	return rc;   /* svc_lock, when held, is released by exit */
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--detach") == 0)
		return detach(argv[2], argv[3]);
	if (argc == 3 && argv[1][0] != '-')
		return supervise(argv[1], argv[2]);
	return usage();
}
