/*
 * proc.c -- run external programs with an argv array, never a shell.
 *
 * fork + execvp with stdin/stdout/stderr on pipes, poll() to collect both
 * outputs without deadlock, and a deadline after which the child's process
 * group is killed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "proc.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Append N bytes to a growing buffer; false on OOM. */
static bool append(char **buf, size_t *len, const char *data, size_t n)
{
	char *g = realloc(*buf, *len + n + 1);
	if (!g)
		return false;
	memcpy(g + *len, data, n);
	*len += n;
	g[*len] = '\0';
	*buf = g;
	return true;
}

/* In the child: wire the pipes, apply cwd and env, exec.  Never returns. */
static void child(char *const argv[], const char *cwd, char *const env[], int in, int out,
                  int err, int report)
{
	setpgid(0, 0);
	dup2(in, 0), dup2(out, 1), dup2(err, 2);
	if (cwd && chdir(cwd) != 0) {
		int e = errno;
		(void)!write(report, &e, sizeof e);
		_exit(127);
	}
	for (size_t i = 0; env && env[i]; i++)
		putenv(env[i]);
	execvp(argv[0], argv);
	int e = errno;
	(void)!write(report, &e, sizeof e);
	_exit(127);
}

int pv_proc_run(char *const argv[], const char *cwd, char *const env[],
                const char *stdin_data, long timeout_ms,
                struct pv_proc_result *res, char **errmsg)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, prep[2] = { -1, -1 };
	memset(res, 0, sizeof *res);
	if (!argv || !argv[0])
		return pv_seterr(errmsg, "run: empty argv"), -1;
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC) ||
	    pipe2(prep, O_CLOEXEC)) {
		pv_seterr(errmsg, "run %s: pipe: %s", argv[0], strerror(errno));
		goto fail;
	}
	fflush(stdout), fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		pv_seterr(errmsg, "run %s: fork: %s", argv[0], strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(argv, cwd, env, pin[0], pout[1], perr[1], prep[1]);
	close(pin[0]), close(pout[1]), close(perr[1]), close(prep[1]);
	pin[0] = pout[1] = perr[1] = prep[1] = -1;
	int exec_errno = 0;
	if (read(prep[0], &exec_errno, sizeof exec_errno) == (ssize_t)sizeof exec_errno) {
		waitpid(pid, NULL, 0);
		pv_seterr(errmsg, "cannot run %s%s%s: %s", argv[0], cwd ? " in " : "", cwd ? cwd : "",
		          strerror(exec_errno));
		goto fail;
	}
	size_t off = 0, inlen = stdin_data ? strlen(stdin_data) : 0;
	if (inlen == 0)
		close(pin[1]), pin[1] = -1;
	else
		fcntl(pin[1], F_SETFL, O_NONBLOCK);
	long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	append(&res->out, &res->out_len, "", 0);
	append(&res->err, &res->err_len, "", 0);
	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd fds[3] = { { pout[0], POLLIN, 0 }, { perr[0], POLLIN, 0 },
		                         { pin[1], POLLOUT, 0 } };
		int wait = -1;
		if (deadline) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				res->timed_out = true;
				kill(-pid, SIGKILL);
				break;
			}
			wait = (int)left;
		}
		if (poll(fds, 3, wait) < 0 && errno != EINTR)
			break;
		char buf[8192];
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &pout[0] : &perr[0];
			if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(*fd, buf, sizeof buf);
			if (n > 0)
				append(i == 0 ? &res->out : &res->err, i == 0 ? &res->out_len :
				       &res->err_len, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				close(*fd), *fd = -1;
		}
		if (pin[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(pin[1], stdin_data + off, inlen - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 || off >= inlen)
				close(pin[1]), pin[1] = -1;
		}
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (pin[1] >= 0) close(pin[1]);
	if (pout[0] >= 0) close(pout[0]);
	if (perr[0] >= 0) close(perr[0]);
	close(prep[0]);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0) close(pin[i]);
		if (pout[i] >= 0) close(pout[i]);
		if (perr[i] >= 0) close(perr[i]);
		if (prep[i] >= 0) close(prep[i]);
	}
	pv_proc_result_free(res);
	return -1;
}

void pv_proc_result_free(struct pv_proc_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

int pv_rm_rf(const char *path, char **errmsg)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (pv_seterr(errmsg, "cannot remove %s: %s", path,
		                                        strerror(errno)), -1);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return pv_seterr(errmsg, "cannot remove %s: %s", path, strerror(errno)), -1;
	return 0;
}
