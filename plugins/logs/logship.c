/*
 * logship.c -- paved-logship, the log shipper of a home: every replica
 * log line of $PAVED_HOME/runtime to Loki, once and in order (ship.h).
 *
 *   paved-logship --detach   (what the logs plugin runs, with PAVED_HOME)
 *   paved-logship HOME       (the shipper itself: its title in ps)
 *
 * --detach forks, starts a new session, forks again and re-executes this
 * program as `paved-logship HOME`, then waits until that holds the lock
 * $PAVED_HOME/logs/shipper/lock (one shipper per home): exit 0 when it
 * runs (or one already did), 1 with the reason on stderr.
 *
 * The shipper reads where to ship from logs/shipper/target.json
 * ({"url", "tenant", "timeout_ms"}, written by the plugin; read again
 * whenever it changes), ships a round at once after a round that shipped
 * lines, 100 ms after one that found none, backs off from 0.25 s to 5 s while Loki does
 * not take a batch, and writes logs/shipper/status.json (pid, url,
 * shipped, batches, failures, rejected, gaps, last_error, last_ok) after
 * every change.  Its stdout and stderr go to logs/shipper/shipper.log.
 * It exits on SIGTERM or SIGINT (after one last round), or when the home
 * is gone (then it stops paved's Loki of that home too: target.json's
 * loki_arg names its process).
 */
#include "pc.h"
#include "proc.h"
#include "ship.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define NOTIFY_VAR "PAVED_LOGSHIP_NOTIFY"

static volatile sig_atomic_t got_term;

static void on_term(int s)
{
	(void)s;
	got_term = 1;
}

static int usage(void)
{
	fprintf(stderr, "Usage: paved-logship --detach | paved-logship HOME\n"
	        "Ships the replica logs of $PAVED_HOME to Loki.  Started by the logs plugin of\n"
	        "paved ('paved loki up'); not meant to be run by hand.\n");
	return 2;
}

/* $HOME/logs/shipper/NAME, malloc()ed. */
static char *file_of(const char *home, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/logs/shipper/%s", home, name) < 0 ? NULL : p;
}

/* Make $HOME/logs/shipper (0700). */
static int make_dir(const char *home)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/logs", home);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(p, sizeof p, "%s/logs/shipper", home);
	return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* --detach: start the shipper in its own session; wait until it runs. */
static int detach(void)
{
	const char *home = getenv("PAVED_HOME");
	char msg[512];
	if (!home || home[0] != '/') {
		fprintf(stderr, "paved-logship: PAVED_HOME must be set to an absolute path\n");
		return 2;
	}
	if (make_dir(home) != 0) {
		fprintf(stderr, "paved-logship: %s/logs/shipper: %s\n", home, strerror(errno));
		return 1;
	}
	char *const argv[] = { "paved-logship", (char *)home, NULL };
	if (pc_daemon_spawn(argv, NOTIFY_VAR, NULL, msg, sizeof msg) == 0)
		return 0;
	fprintf(stderr, "paved-logship: %s", *msg ? msg : "the shipper exited before it was ready; "
	        "see logs/shipper/shipper.log\n");
	return 1;
}

/* Where to ship, from target.json. */
struct target {
	char *url, *tenant;
	char *loki_arg;   /* "-config.file=..." of paved's own Loki, or NULL */
	long  timeout_ms;
	struct timespec mtime;
	ino_t ino;
};

static void target_load(const char *path, struct target *t)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;   /* keep what was read: the home may be going away */
	if (st.st_ino == t->ino && st.st_mtim.tv_sec == t->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == t->mtime.tv_nsec)
		return;
	json_t *j = json_load_file(path, 0, NULL);
	const char *url = json_string_value(json_object_get(j, "url"));
	const char *tenant = json_string_value(json_object_get(j, "tenant"));
	const char *arg = json_string_value(json_object_get(j, "loki_arg"));
	free(t->url), free(t->tenant), free(t->loki_arg);
	t->url = url && *url ? strdup(url) : NULL;
	t->tenant = tenant && *tenant ? strdup(tenant) : NULL;
	t->loki_arg = arg && *arg ? strdup(arg) : NULL;
	t->timeout_ms = (long)json_integer_value(json_object_get(j, "timeout_ms"));
	if (t->timeout_ms <= 0)
		t->timeout_ms = 5000;
	t->mtime = st.st_mtim;
	t->ino = st.st_ino;
	json_decref(j);
	fprintf(stderr, "paved-logship: shipping to %s\n", t->url ? t->url : "(nowhere: no url)");
}

/* Write status.json (atomic rename). */
static void status_write(const char *home, const struct ls_shipper *sh, const struct target *t)
{
	char *path = file_of(home, "status.json"), *tmp = NULL;
	const struct ls_stats *s = &sh->stats;
	json_t *j = json_pack("{sI ss* sI sI sI sI sI ss sf si}", "pid", (json_int_t)getpid(),
	                      "url", t->url, "shipped", (json_int_t)s->shipped,
	                      "batches", (json_int_t)s->batches, "failures", (json_int_t)s->failures,
	                      "rejected", (json_int_t)s->rejected, "gaps", (json_int_t)s->gaps,
	                      "last_error", s->last_error, "last_ok", s->last_ok,
	                      "sources", (int)sh->n);
	if (path && j && asprintf(&tmp, "%s.tmp", path) >= 0) {
		if (json_dump_file(j, tmp, JSON_COMPACT) == 0)
			rename(tmp, path);
		free(tmp);
	}
	json_decref(j);
	free(path);
}

/* The home is gone: stop paved's Loki of that home too (SIGTERM to every
 * process whose command line holds its -config.file argument ARG), so a
 * removed test home leaves no server behind. */
static void stop_loki(const char *arg)
{
	pid_t pids[16];
	int n = arg ? lp_scan_arg(arg, pids, 16) : 0;
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "paved-logship: stopping paved's Loki (pid %d)\n", (int)pids[i]);
		kill(pids[i], SIGTERM);
	}
}

/* Sleep MS milliseconds, or less when a signal comes. */
static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int shipper(const char *home)
{
	char *lockp = file_of(home, "lock"), *pidp = file_of(home, "shipper.pid");
	char *targetp = file_of(home, "target.json");
	int keep = pc_daemon_notify_fd(NOTIFY_VAR), lock = -1, rc = 1;
	struct ls_shipper sh;
	struct target t = { 0 };
	if (!lockp || !pidp || !targetp || make_dir(home) != 0)
		goto out;
	char *log = file_of(home, "shipper.log");
	pc_daemon_stdio(log, 0600, &keep, 1);   /* no log: /dev/null */
	free(log);
	prctl(PR_SET_NAME, "paved-logship");   /* comm, for top and ps -o comm */
	lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0) {
		dprintf(keep, "cannot open %s: %s\n", lockp, strerror(errno));
		goto out;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		FILE *f = fopen(pidp, "re");
		int other = 0;
		if (f && fscanf(f, "%d", &other) != 1)
			other = 0;
		if (f)
			fclose(f);
		pc_daemon_notify(NOTIFY_VAR, "busy %d\n", other);
		rc = 0;
		goto out;
	}
	FILE *pf = fopen(pidp, "we");
	if (pf) {
		fprintf(pf, "%ld\n", (long)getpid());
		fclose(pf);
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (ls_init(&sh, home) != 0)
		goto out;
	fprintf(stderr, "paved-logship: started (pid %ld) for %s\n", (long)getpid(), home);
	pc_daemon_notify(NOTIFY_VAR, "ok %ld\n", (long)getpid());
	long backoff = 0;
	unsigned long long last_written = (unsigned long long)-1;
	time_t last_status = 0;
	for (;;) {
		struct stat st;
		bool stopping = got_term;
		if (stat(home, &st) != 0) {
			fprintf(stderr, "paved-logship: %s is gone; exiting\n", home);
			stop_loki(t.loki_arg);
			break;
		}
		target_load(targetp, &t);
		long n = 0;
		if (t.url)
			n = ls_round(&sh, t.url, t.tenant, stopping ? 2000 : t.timeout_ms);
		unsigned long long mark = sh.stats.shipped + sh.stats.failures * 7919;
		if (mark != last_written || time(NULL) != last_status) {
			status_write(home, &sh, &t);
			last_written = mark;
			last_status = time(NULL);
		}
		if (stopping)
			break;
		if (n < 0) {
			backoff = backoff ? (backoff * 2 > 5000 ? 5000 : backoff * 2) : 250;
			if (sh.stats.failures == 1 || sh.stats.failures % 20 == 0)
				fprintf(stderr, "paved-logship: %s (retrying)\n", sh.stats.last_error);
			nap(backoff);
		} else {
			backoff = 0;
			if (n == 0)   /* nothing new: wait a little; else go on at once */
				nap(100);
		}
	}
	fprintf(stderr, "paved-logship: stopped (shipped %llu lines)\n", sh.stats.shipped);
	ls_free(&sh);
	unlink(pidp);
	rc = 0;
out:
	free(t.url), free(t.tenant), free(t.loki_arg);
	if (lock >= 0)
		close(lock);
	free(lockp), free(pidp), free(targetp);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--detach"))
		return detach();
	if (argc == 2 && argv[1][0] == '/')
		return shipper(argv[1]);
	return usage();
}
