/* util.c -- see util.h */
#include "util.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double ru_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

json_t *ru_read_json(const char *path)
{
	return json_load_file(path, 0, NULL);
}

int ru_write_json(const char *path, json_t *v)
{
	char *tmp = pc_printf("%s.tmp.%d", path, (int)getpid());
	int rc = -1;
	if (tmp && json_dump_file(v, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
		rc = rename(tmp, path);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

int ru_pid_alive(pid_t pid)
{
	if (pid <= 0)
		return 0;
	if (kill(pid, 0) == 0 || errno == EPERM) {
		/* a zombie child of ours counts as dead */
		char p[64], st = 0;
		snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
		FILE *f = fopen(p, "r");
		if (f) {
			if (fscanf(f, "%*d %*s %c", &st) != 1)
				st = 0;
			fclose(f);
		}
		return st != 'Z';
	}
	return 0;
}

pid_t ru_read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return ru_pid_alive(pid) ? pid : 0;
}

int ru_run(char *const argv[], const char *cwd, const char *log, char **out, int timeout)
{
	int fds[2] = { -1, -1 };
	if (out && pipe(fds))
		return 127;
	pid_t pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		if (out) {
			dup2(fds[1], 1);
			int e = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
			dup2(e, 2);
		} else {
			int e = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
			dup2(e, 1);
			dup2(e, 2);
		}
		for (int i = 3; i < 1024; i++)
			close(i);
		setpgid(0, 0);
		if (cwd && chdir(cwd))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	size_t len = 0, cap = 0;
	char *buf = NULL;
	if (out) {
		close(fds[1]);
		char tmp[4096];
		ssize_t n;
		while ((n = read(fds[0], tmp, sizeof tmp)) > 0 || (n < 0 && errno == EINTR)) {
			if (n <= 0)
				continue;
			if (len + n + 1 > cap) {
				cap = (len + n + 1) * 2;
				char *nb = realloc(buf, cap);
				if (!nb)
					break;
				buf = nb;
			}
			memcpy(buf + len, tmp, n);
			len += n;
		}
		close(fds[0]);
		*out = buf ? buf : strdup("");
		if (buf)
			buf[len] = 0;
	}
	int st = 0;
	double deadline = ru_now() + (timeout > 0 ? timeout : 1e9);
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return 127;
		if (ru_now() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return 124;
		}
		usleep(20000);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int ru_free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return 0;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t l = sizeof a;
	int port = 0;
	if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	int e = errno;
	close(s);
	errno = e;
	return port;
}

int ru_port_free(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (s < 0)
		return 0;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = bind(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

int ru_http_get(int port, const char *path, int timeout_ms, char *body, size_t bodylen)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	double deadline = ru_now() + timeout_ms / 1000.0;
	if (connect(s, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS)
		goto fail;
	struct pollfd p = { .fd = s, .events = POLLOUT };
	if (poll(&p, 1, timeout_ms) != 1)
		goto fail;
	int err = 0;
	socklen_t el = sizeof err;
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		goto fail;
	char req[512];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n"
	                 "Connection: close\r\n\r\n", path, port);
	if (write(s, req, n) != n)
		goto fail;
	char buf[4096];
	size_t len = 0;
	for (;;) {
		int left = (int)((deadline - ru_now()) * 1000);
		if (left <= 0)
			goto fail;
		p.events = POLLIN;
		if (poll(&p, 1, left) != 1)
			goto fail;
		ssize_t r = read(s, buf + len, sizeof buf - 1 - len);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		len += r;
		if (len >= sizeof buf - 1)
			break;
	}
	close(s);
	buf[len] = 0;
	int code;
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
		return -1;
	if (body && bodylen) {
		char *b = strstr(buf, "\r\n\r\n");
		snprintf(body, bodylen, "%s", b ? b + 4 : "");
	}
	return code;
fail:
	close(s);
	return -1;
}

int ru_in_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin";
	char *dup = strdup(path), *save = NULL;
	int found = 0;
	for (char *d = strtok_r(dup, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *f = pc_printf("%s/%s", d, name);
		found = f && access(f, X_OK) == 0;
		free(f);
	}
	free(dup);
	return found;
}
