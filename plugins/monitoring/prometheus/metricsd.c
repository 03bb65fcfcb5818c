/*
 * metricsd.c -- paved-metricsd, the daemon that runs the embedded
 * Prometheus of a home (see control.c and backend.c).  Uses no paved API.
 *
 *   paved-metricsd --detach DIR   start in the background; exit 0 once
 *                                 Prometheus runs ("busy" when a daemon of
 *                                 DIR already does), 1 with a message
 *   paved-metricsd DIR            what --detach runs (its title in ps)
 *
 * DIR/metricsd.json says what to run: {home, argv, exporter_port,
 * textfile, log_max_bytes, user}.  The daemon
 *   - started as root, opens the home (O_PATH) and becomes "user" (never
 *     root) before anything else;
 *   - holds DIR/metricsd.lock while it lives (what "running" means);
 *   - serves GET /metrics on 127.0.0.1:exporter_port: the concatenation of
 *     DIR/textfile/ *.prom files (the sink sink_prometheus writes paved.prom), so
 *     Prometheus scrapes paved's own metrics as the job "paved";
 *   - runs Prometheus (argv) with its output in DIR/prometheus.log, in its
 *     own process group, with PR_SET_PDEATHSIG: it dies with the daemon;
 *   - forwards SIGHUP (reload rules) to Prometheus;
 *   - stops Prometheus (SIGTERM, SIGKILL after 20 s) and exits on SIGTERM
 *     or SIGINT, when Prometheus exits, and when the home is gone (a test's
 *     temporary home removed): then a directory outside the home (as root,
 *     in /var/lib/paved) is emptied too, nothing is left running.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pc.h"

#define NOTIFY_VAR "PAVED_METRICSD_NOTIFY"

static volatile sig_atomic_t got_term, got_hup, got_chld;

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
}

/* A line to the log (stderr, which is DIR/metricsd.log), with the time. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	fprintf(stderr, "%s paved-metricsd: ", now);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write TEXT to DIR/NAME atomically. */
static void put(const char *name, const char *text)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0)
		say("cannot write %s: %s", tmp, strerror(errno));
	close(fd);
	rename(tmp, name);
}

/* --detach: run the daemon in its own session; report what it says. */
static int detach(const char *dir)
{
	char msg[1024];
	char *const argv[] = { "paved-metricsd", (char *)dir, NULL };
	if (pc_daemon_spawn(argv, NOTIFY_VAR, NULL, msg, sizeof msg) == 0)
		return 0;
	fprintf(stderr, "paved-metricsd: %s", *msg ? msg : "the daemon exited before it was ready; "
	        "see metricsd.log\n");
	return 1;
}

/* Serve one connection on FD: GET /metrics is every .prom file of TEXTFILE. */
static void serve(int fd, const char *textfile)
{
	char req[8192];
	size_t n = 0;
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	while (n < sizeof req - 1) {
		ssize_t r = read(fd, req + n, sizeof req - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = '\0';
	char *body = NULL, pat[4200];
	size_t blen = 0;
	FILE *b = open_memstream(&body, &blen);
	bool found = !strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13);
	if (found && b) {
		glob_t g = { 0 };
		snprintf(pat, sizeof pat, "%s/*.prom", textfile);
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				FILE *f = fopen(g.gl_pathv[i], "re");
				char buf[8192];
				size_t k, last = '\n';
				while (f && (k = fread(buf, 1, sizeof buf, f)) > 0) {
					fwrite(buf, 1, k, b);
					last = (unsigned char)buf[k - 1];
				}
				if (f)
					fclose(f);
				if (last != '\n')
					fputc('\n', b);
			}
		}
		globfree(&g);
	}
	if (b)
		fclose(b);
	char head[256];
	int hl = snprintf(head, sizeof head, "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                  found ? "200 OK" : "404 Not Found",
	                  found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
	                  found ? blen : (size_t)10);
	if (write(fd, head, (size_t)hl) == hl) {
		const char *out = found ? body : "not found\n";
		size_t len = found ? blen : 10, done = 0;
		while (done < len) {
			ssize_t w = write(fd, out + done, len - done);
			if (w <= 0)
				break;
			done += (size_t)w;
		}
	}
	free(body);
	close(fd);
}

/* Start ARGV with its output in LOG; its pid, or -1 (why in *WHY). */
static pid_t start(json_t *argv, int log, char *why, size_t whylen)
{
	size_t n = json_array_size(argv);
	char **v = calloc(n + 1, sizeof *v);
	int ep[2];
	if (!v || n == 0 || pipe2(ep, O_CLOEXEC) != 0) {
		snprintf(why, whylen, "no program to run");
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (char *)json_string_value(json_array_get(argv, i));
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGHUP, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL), signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(log, 1), dup2(log, 2);
		execv(v[0], v);
		int e = errno;
		if (write(ep[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	int e = 0;
	ssize_t r = pid > 0 ? read(ep[0], &e, sizeof e) : -1;
	close(ep[0]);
	free(v);
	if (pid < 0 || r == (ssize_t)sizeof e) {
		snprintf(why, whylen, "cannot run %s: %s", json_string_value(json_array_get(argv, 0)),
		         strerror(pid < 0 ? errno : e));
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* nftw callback of rm -r. */
static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag;
	if (ftw->level > 0 && remove(p) != 0 && errno != ENOENT)
		say("cannot remove %s: %s", p, strerror(errno));
	return 0;   /* on with the rest */
}

/* Stop Prometheus PID: SIGTERM, SIGKILL after 20 s; reaped. */
static void stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	double end = now_s() + 20;
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (now_s() > end) {
			say("Prometheus (pid %d) ignored SIGTERM for 20 s: SIGKILL", (int)pid);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		nanosleep(&(struct timespec){ 0, 50000000L }, NULL);
	}
}

/* As root: become USER (never root) for good.  0, or -1 with *WHY. */
static int drop_to(const char *user, char *why, size_t n)
{
	struct passwd *pw = user && *user ? getpwnam(user) : NULL;
	if (!pw || pw->pw_uid == 0) {
		snprintf(why, n, "refusing to run Prometheus as root: no user '%s' to run it as",
		         user && *user ? user : "(none)");
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
		snprintf(why, n, "cannot become %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	return 0;
}

/* Has the home gone?  HOMEFD was opened on it (O_PATH) before any
 * privilege was dropped: a removed directory has no links left, even where
 * the user we run as cannot look it up by name. */
static bool home_gone(int homefd, const char *home)
{
	struct stat st;
	if (homefd >= 0 && fstat(homefd, &st) == 0 && st.st_nlink == 0)
		return true;
	return stat(home, &st) != 0 && errno == ENOENT;
}

static int run(const char *dir)
{
	int lock, pfd, rc = 1, homefd;
	pid_t prom = -1;
	char why[512] = "";
	json_t *cfg = NULL;
	json_error_t je;
	if (chdir(dir) != 0) {
		pc_daemon_notify(NOTIFY_VAR, "cannot enter %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (!(cfg = json_load_file("metricsd.json", 0, &je))) {
		pc_daemon_notify(NOTIFY_VAR, "%s/metricsd.json: %s\n", dir, je.text);
		return 1;
	}
	const char *home = json_string_value(json_object_get(cfg, "home"));
	const char *textfile = json_string_value(json_object_get(cfg, "textfile"));
	int port = (int)json_integer_value(json_object_get(cfg, "exporter_port"));
	json_int_t maxlog = json_integer_value(json_object_get(cfg, "log_max_bytes"));
	if (!home || !textfile || port <= 0 || port > 65535) {
		pc_daemon_notify(NOTIFY_VAR, "%s/metricsd.json lacks home, textfile or exporter_port\n",
		                 dir);
		goto out;
	}
	homefd = open(home, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (geteuid() == 0 &&
	    drop_to(json_string_value(json_object_get(cfg, "user")), why, sizeof why) != 0) {
		pc_daemon_notify(NOTIFY_VAR, "%s\n", why);
		goto out;
	}
	if ((lock = open("metricsd.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		pc_daemon_notify(NOTIFY_VAR, "cannot open %s/metricsd.lock: %s\n", dir, strerror(errno));
		goto out;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		FILE *f = fopen("metricsd.pid", "re");
		int pid = 0;
		if (f && fscanf(f, "%d", &pid) != 1)
			pid = 0;
		if (f)
			fclose(f);
		pc_daemon_notify(NOTIFY_VAR, "busy %d\n", pid);
		rc = 0;
		goto out;
	}
	/* stdin from /dev/null, our output to metricsd.log, nothing else open */
	int nfd = pc_daemon_notify_fd(NOTIFY_VAR);
	if (nfd >= 0)      /* Prometheus must not keep the --detach parent waiting */
		fcntl(nfd, F_SETFD, FD_CLOEXEC);
	if (pc_daemon_stdio("metricsd.log", 0644, (int[]){ nfd, lock, homefd }, 3) != 0) {
		pc_daemon_notify(NOTIFY_VAR, "cannot open %s/metricsd.log: %s\n", dir, strerror(errno));
		goto out;
	}
	/* the exporter's socket */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) {
		pc_daemon_notify(NOTIFY_VAR, "cannot listen on 127.0.0.1:%d: %s\n", port,
		                 strerror(errno));
		goto out;
	}
	/* signals wait for ppoll */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM), sigaddset(&block, SIGINT), sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL), sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL), sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct stat st;
	if (maxlog > 0 && stat("prometheus.log", &st) == 0 && st.st_size > maxlog)
		if (truncate("prometheus.log", 0) != 0)
			say("cannot truncate prometheus.log: %s", strerror(errno));
	if ((pfd = open("prometheus.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		pc_daemon_notify(NOTIFY_VAR, "cannot open %s/prometheus.log: %s\n", dir, strerror(errno));
		goto out;
	}
	if ((prom = start(json_object_get(cfg, "argv"), pfd, why, sizeof why)) < 0) {
		pc_daemon_notify(NOTIFY_VAR, "%s\n", why);
		goto out;
	}
	close(pfd);
	char num[32];
	snprintf(num, sizeof num, "%d\n", (int)getpid());
	put("metricsd.pid", num);
	snprintf(num, sizeof num, "%d\n", (int)prom);
	put("prometheus.pid", num);
	say("serving %s/%s on 127.0.0.1:%d; Prometheus runs as pid %d", dir, textfile, port, (int)prom);
	pc_daemon_notify(NOTIFY_VAR, "ok %d\n", (int)getpid());
	(void)nfd;
	rc = 0;
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		struct timespec tick = { 1, 0 };
		int r = ppoll(&p, 1, &tick, &old);
		if (r > 0 && (p.revents & POLLIN)) {
			int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				fcntl(c, F_SETFL, 0);   /* blocking, with timeouts */
				serve(c, textfile);
			}
		}
		if (got_hup) {
			got_hup = 0;
			say("SIGHUP: Prometheus reloads its configuration and rules");
			kill(prom, SIGHUP);
		}
		if (got_chld) {
			int status;
			got_chld = 0;
			if (waitpid(prom, &status, WNOHANG) == prom) {
				say("Prometheus exited (%s %d): stopping", WIFSIGNALED(status) ? "signal" : "status",
				    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				prom = -1;
				rc = 1;
				break;
			}
		}
		if (got_term) {
			say("stopping");
			break;
		}
		if (home_gone(homefd, home)) {
			say("the home %s is gone: stopping", home);
			stop(prom);
			prom = -1;
			/* a directory outside the home (root's) would only be garbage:
			 * everything in it goes (the directory stays: its parent is root's) */
			if (strncmp(dir, home, strlen(home)) != 0)
				nftw(".", rm_one, 16, FTW_DEPTH | FTW_PHYS);
			break;
		}
	}
	stop(prom);
	unlink("prometheus.pid");
	unlink("metricsd.pid");
out:
	json_decref(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--detach"))
		return detach(argv[2]);
	if (argc == 2 && argv[1][0] != '-')
		return run(argv[1]);
	fprintf(stderr, "usage: paved-metricsd [--detach] DIR\n");
	return 2;
}
