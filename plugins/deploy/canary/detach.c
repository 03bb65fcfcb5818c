/*
 * detach.c -- paved-canary-detach LOG PROGRAM ARGS...: start PROGRAM (a
 * rollout controller: `paved --home H rollout _controller SVC --env E`)
 * so that it outlives the paved command that started it, and return once
 * it is ready.
 *
 * The plugin runs this small program through paved->run (plugins keep no
 * fork/exec of their own).  It forks; the child starts a new session and
 * forks again, and the grandchild (reparented to init, in no terminal's
 * process group, so no ^C and no paved->run timeout reaches it) takes
 * stdin from /dev/null, appends stdout and stderr to LOG, and runs
 * PROGRAM with PAVED_CANARY_READY_FD naming the write end of a pipe.  The
 * controller writes "ready PID" there once it holds its lock (or names
 * the controller that already holds it).  This program prints that line
 * and exits 0, or exits 1 with what went wrong: PROGRAM could not run,
 * or it ended, or said nothing, within 20 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fds[2];
	if (argc < 3) {
		fprintf(stderr, "usage: paved-canary-detach LOG PROGRAM [ARGS...]\n");
		return 2;
	}
	if (pipe(fds) != 0) {
		fprintf(stderr, "paved-canary-detach: pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "paved-canary-detach: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		setsid();
		pid_t again = fork();
		if (again != 0)
			_exit(again < 0 ? 1 : 0);
		int in = open("/dev/null", O_RDONLY), out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND,
		                                                0600);
		if (in < 0 || out < 0) {
			dprintf(fds[1], "cannot open %s: %s\n", out < 0 ? argv[1] : "/dev/null",
			        strerror(errno));
			_exit(1);
		}
		dup2(in, 0), dup2(out, 1), dup2(out, 2);
		close(in), close(out);
		char fd[16];
		snprintf(fd, sizeof fd, "%d", fds[1]);
		setenv("PAVED_CANARY_READY_FD", fd, 1);
		execvp(argv[2], argv + 2);
		dprintf(fds[1], "cannot run %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char line[512];
	size_t n = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = 20000 - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pf = { fds[0], POLLIN, 0 };
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
			if (left > 0 && errno == EINTR)
				continue;
			fprintf(stderr, "the controller said nothing within 20 s (see %s)\n", argv[1]);
			return 1;
		}
		ssize_t r = read(fds[0], line + n, sizeof line - 1 - n);
		if (r <= 0 || memchr(line + n, '\n', (size_t)r) || n + (size_t)r >= sizeof line - 1) {
			n += r > 0 ? (size_t)r : 0;
			break;
		}
		n += (size_t)r;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "ready ", 6) == 0) {
		printf("%s\n", line);
		return 0;
	}
	fprintf(stderr, "%s\n", *line ? line : "the controller ended before it was ready");
	return 1;
}
