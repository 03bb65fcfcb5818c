/*
 * procs.c -- process identity and stopping, from /proc (see procs.h).
 */
#include "procs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Read /proc/PID/WHAT into a malloc()ed buffer (NUL-terminated, *LEN
 * bytes before the NUL); NULL when it cannot be read. */
static char *proc_read(pid_t pid, const char *what, size_t *len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			char *g = realloc(buf, cap * 2);
			if (!g) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = g, cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

/* The state letter and start time of PID from /proc/PID/stat; false when
 * it is gone.  The command name (field 2) may hold spaces and parentheses:
 * the fields after it start after the last ')'. */
static bool proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char *s = proc_read(pid, "stat", NULL);
	char *p = s ? strrchr(s, ')') : NULL;
	bool ok = false;
	if (p && p[1] == ' ' && p[2]) {
		*state = p[2];
		/* field 3 is the state; the start time is field 22 */
		char *f = p + 2;
		for (int field = 3; field < 22 && f; field++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		ok = f && sscanf(f, "%llu", start) == 1;
	}
	free(s);
	return ok;
}

bool rp_alive(pid_t pid)
{
	char st;
	unsigned long long start;
	if (pid <= 0)
		return false;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	return proc_stat(pid, &st, &start) && st != 'Z' && st != 'X';
}

unsigned long long rp_starttime(pid_t pid)
{
	char st;
	unsigned long long start = 0;
	if (pid <= 0 || !proc_stat(pid, &st, &start) || st == 'Z' || st == 'X')
		return 0;
	return start;
}

bool rp_same(pid_t pid, unsigned long long starttime)
{
	unsigned long long s = rp_starttime(pid);
	return s && (!starttime || s == starttime);
}

/* Does the NUL-separated list BUF (LEN bytes) hold A (then B)? */
static bool list_has(const char *buf, size_t len, const char *a, const char *b)
{
	for (size_t off = 0; off < len;) {
		const char *e = buf + off;
		size_t el = strlen(e);
		if (strcmp(e, a) == 0) {
			if (!b)
				return true;
			size_t next = off + el + 1;
			if (next < len && strcmp(buf + next, b) == 0)
				return true;
		}
		off += el + 1;
	}
	return false;
}

bool rp_has_env(pid_t pid, const char *kv)
{
	size_t len = 0;
	char *env = proc_read(pid, "environ", &len);
	bool has = env && list_has(env, len, kv, NULL);
	free(env);
	return has;
}

bool rp_has_arg(pid_t pid, const char *arg, const char *arg2)
{
	size_t len = 0;
	char *cl = proc_read(pid, "cmdline", &len);
	bool has = cl && list_has(cl, len, arg, arg2);
	free(cl);
	return has;
}

/* Every live pid but ours for which MATCH(pid, A, B) holds, into OUT. */
static int scan(bool (*match)(pid_t, const char *, const char *), const char *a,
                const char *b, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	int n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid == getpid() || !match(pid, a, b) || !rp_alive(pid))
			continue;
		out[n++] = pid;
	}
	closedir(d);
	return n;
}

static bool match_env(pid_t pid, const char *kv, const char *unused)
{
	(void)unused;
	return rp_has_env(pid, kv);
}

int rp_scan_env(const char *kv, pid_t *out, int max)
{
	return scan(match_env, kv, NULL, out, max);
}

int rp_scan_args(const char *arg, const char *arg2, pid_t *out, int max)
{
	return scan(rp_has_arg, arg, arg2, out, max);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* How many of PIDS are alive. */
static int count_alive(const pid_t *pids, int n)
{
	int alive = 0;
	for (int i = 0; i < n; i++)
		alive += pids[i] > 0 && rp_alive(pids[i]);
	return alive;
}

/* Wait until none of PIDS is alive or MS passed; how many are left. */
static int wait_all(const pid_t *pids, int n, long ms)
{
	long long end = mono_ms() + ms;
	int left;
	while ((left = count_alive(pids, n)) > 0 && mono_ms() < end)
		nap_ms(20);
	return left;
}

static void signal_all(const pid_t *pids, int n, int sig, bool groups)
{
	for (int i = 0; i < n; i++) {
		if (pids[i] <= 0)
			continue;
		if (groups)
			kill(-pids[i], sig);
		if (rp_alive(pids[i]))
			kill(pids[i], sig);
	}
}

int rp_stop(const pid_t *pids, int n, long grace_ms, bool groups)
{
	if (count_alive(pids, n) == 0)
		return 0;
	signal_all(pids, n, SIGTERM, groups);
	if (wait_all(pids, n, grace_ms) == 0)
		return 0;
	signal_all(pids, n, SIGKILL, groups);
	return wait_all(pids, n, 2000);
}

bool rp_wait_gone(pid_t pid, long ms)
{
	return wait_all(&pid, 1, ms) == 0;
}
