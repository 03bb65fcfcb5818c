/*
 * pcdaemon.c -- the daemons the bundled plugins start to outlive paved
 * (paved-logship, paved-metricsd, paved-supervisor): starting one in its
 * own session with a readiness pipe, telling the starter it is ready, and
 * owning its stdio (see pc.h).  Uses no paved API, so a daemon program
 * links libpc.la and pulls in only this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc.h"

/* The parent keeps the read end; the grandchild becomes the daemon with
 * the write end open across execv (its number in NOTIFY_VAR).  The first
 * child exits at once and is reaped here; the pipe is read until every
 * holder of the write end (the daemon and what it may have started
 * before closing it) is done with it. */
int pc_daemon_spawn(char *const argv[], const char *notify_var, char *const env[], char *msg,
                    size_t size)
{
	int fds[2];
	size_t n = 0;
	ssize_t r;
	msg[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(msg, size, "pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t c = fork();
	if (c == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		char num[16];
		snprintf(num, sizeof num, "%d", fds[1]);
		fcntl(fds[1], F_SETFD, 0);
		setenv(notify_var, num, 1);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv("/proc/self/exe", argv);
		dprintf(fds[1], "cannot run /proc/self/exe: %s\n", strerror(errno));
		_exit(127);
	}
	int e = errno;
	close(fds[1]);
	if (c < 0) {
		snprintf(msg, size, "fork: %s\n", strerror(e));
		close(fds[0]);
		return 1;
	}
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		;
	while (n < size - 1 && ((r = read(fds[0], msg + n, size - 1 - n)) > 0 ||
	                        (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	msg[n] = '\0';
	close(fds[0]);
	return !strncmp(msg, "ok ", 3) || !strncmp(msg, "busy ", 5) ? 0 : 1;
}

int pc_daemon_notify_fd(const char *notify_var)
{
	const char *v = getenv(notify_var);
	return v && *v ? atoi(v) : -1;
}

/* Writes once and closes: the starter reads until the pipe closes, so a
 * second message would be lost anyway. */
void pc_daemon_notify(const char *notify_var, const char *fmt, ...)
{
	int fd = pc_daemon_notify_fd(notify_var);
	if (fd < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);   /* the starter may be gone: nothing to tell */
	va_end(ap);
	close(fd);
	unsetenv(notify_var);
}

/* /dev/null stands in for a log that cannot be opened, so the daemon
 * never keeps its starter's stdout (a pipe paved may wait on) open. */
int pc_daemon_stdio(const char *log, mode_t mode, const int *keep, size_t nkeep)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int lf = log ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode) : -1;
	int e = log ? errno : ENOENT;
	dup2(null, 0);
	dup2(lf >= 0 ? lf : null, 1);
	dup2(lf >= 0 ? lf : null, 2);
	for (int fd = 3; fd < 1024; fd++) {
		size_t i = 0;
		while (i < nkeep && keep[i] != fd)
			i++;
		if (i == nkeep)
			close(fd);
	}
	if (lf >= 0)
		return 0;
	errno = e;
	return -1;
}
