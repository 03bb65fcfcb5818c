/*
 * prutil.c -- process, file, port and randomness helpers for the
 * provision plugins.  See prutil.h for the contracts.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "prutil.h"

extern char **environ;

int pu_err(char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = pc_vprintf(fmt, ap);
	va_end(ap);
	if (err) {
		free(*err);
		*err = s ? s : strdup("out of memory");
	} else {
		free(s);
	}
	return -1;
}

double pu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Growable capture buffer for one pipe. */
struct cap { char *buf; size_t len, cap; int fd; };

static void cap_read(struct cap *c)
{
	char tmp[4096];
	ssize_t n = read(c->fd, tmp, sizeof tmp);
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(c->fd);
			c->fd = -1;
		}
		return;
	}
	if (c->len + (size_t)n + 1 > c->cap && c->len < 65536) {
		size_t nc = c->cap ? c->cap * 2 : 8192;
		while (nc < c->len + (size_t)n + 1)
			nc *= 2;
		char *b = realloc(c->buf, nc);
		if (!b)
			return;
		c->buf = b, c->cap = nc;
	}
	if (c->len + (size_t)n + 1 <= c->cap) {
		memcpy(c->buf + c->len, tmp, (size_t)n);
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
	}
}

/* Environment = ours plus ENV_SET (which wins); NULL on out of memory. */
static char **make_env(char *const env_set[])
{
	size_t n = 0, m = 0;
	while (environ[n])
		n++;
	while (env_set && env_set[m])
		m++;
	char **e = calloc(n + m + 1, sizeof *e);
	if (!e)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool over = false;
		for (size_t j = 0; j < m && !over; j++) {
			size_t l = strcspn(env_set[j], "=");
			over = strncmp(environ[i], env_set[j], l + 1) == 0;
		}
		if (!over)
			e[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		e[k++] = env_set[j];
	return e;
}

int pu_run(const char *const argv[], char *const env_set[], int timeout_ms,
           char **out, char **errtext, char **err)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, rc = -1;
	struct cap co = { 0 }, ce = { 0 };
	posix_spawn_file_actions_t fa;
	char **env = make_env(env_set);
	pid_t pid;

	if (out)
		*out = NULL;
	if (errtext)
		*errtext = NULL;
	if (!env)
		return pu_err(err, "out of memory");
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		pu_err(err, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]), close(pe[1]);
	po[1] = pe[1] = -1;
	if (e) {
		pu_err(err, "cannot run %s: %s", argv[0], strerror(e));
		goto out;
	}
	co.fd = po[0], ce.fd = pe[0];
	po[0] = pe[0] = -1;
	double deadline = timeout_ms > 0 ? pu_now_ms() + timeout_ms : 0;
	bool killed = false;
	while (co.fd >= 0 || ce.fd >= 0) {
		struct pollfd p[2] = { { co.fd, POLLIN, 0 }, { ce.fd, POLLIN, 0 } };
		int wait = 1000;
		if (deadline) {
			double left = deadline - pu_now_ms();
			if (left <= 0 && !killed) {
				kill(pid, SIGKILL);
				killed = true;
			}
			wait = left > 0 ? (int)left + 1 : 100;
		}
		int n = poll(p, 2, wait);
		if (n < 0 && errno != EINTR)
			break;
		if (co.fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			cap_read(&co);
		if (ce.fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			cap_read(&ce);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (killed)
		rc = pu_err(err, "%s did not finish within %d ms and was stopped", argv[0], timeout_ms);
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0) close(po[i]);
		if (pe[i] >= 0) close(pe[i]);
	}
	if (co.fd >= 0) close(co.fd);
	if (ce.fd >= 0) close(ce.fd);
	if (out)
		*out = co.buf ? co.buf : strdup("");
	else
		free(co.buf);
	if (errtext)
		*errtext = ce.buf ? ce.buf : strdup("");
	else
		free(ce.buf);
	free(env);
	return rc;
}

char *pu_last_line(const char *text)
{
	const char *end = text ? text + strlen(text) : NULL;
	if (!end)
		return strdup("");
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	return strndup(start, (size_t)(end - start));
}

char *pu_file_last_line(const char *path)
{
	char *t = pu_read_file(path);
	if (!t)
		return NULL;
	char *l = pu_last_line(t);
	free(t);
	return l;
}

int pu_free_port(int *port, char **err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return pu_err(err, "cannot find a free port on 127.0.0.1: %s", strerror(e));
	}
	close(fd);
	*port = ntohs(a.sin_port);
	return 0;
}

bool pu_port_taken(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bool taken = bind(fd, (struct sockaddr *)&a, sizeof a) != 0;
	close(fd);
	return taken;
}

int pu_random_hex(char *out, size_t nbytes, char **err)
{
	unsigned char b[64];
	if (nbytes > sizeof b)
		return pu_err(err, "too many random bytes requested");
	size_t got = 0;
	while (got < nbytes) {
		ssize_t n = getrandom(b + got, nbytes - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pu_err(err, "getrandom failed: %s", strerror(errno));
		got += (size_t)n;
	}
	for (size_t i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	explicit_bzero(b, sizeof b);
	return 0;
}

int pu_mkdirs(const char *path, mode_t mode, char **err)
{
	if (pc_mkdir_p(path, mode) != 0)
		return pu_err(err, "cannot create directory %s: %s", path, strerror(errno));
	return 0;
}

int pu_rmtree(const char *path, char **err)
{
	if (pc_rmtree(path) != 0)
		return pu_err(err, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int pu_write_file(const char *path, const char *data, size_t len, mode_t mode, char **err)
{
	char *tmp = pc_printf("%s.tmp.%ld", path, (long)getpid());
	if (!tmp)
		return pu_err(err, "out of memory");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		pu_err(err, "cannot write %s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	fchmod(fd, mode);
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	int bad = off < len ? errno : 0;
	if (close(fd) && !bad)
		bad = errno;
	if (!bad && rename(tmp, path))
		bad = errno;
	if (bad) {
		unlink(tmp);
		pu_err(err, "cannot write %s: %s", path, strerror(bad));
	}
	free(tmp);
	return bad ? -1 : 0;
}

char *pu_read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		if (len + 1 >= cap) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b, cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

char *pu_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = malloc(strlen(s) * 3 + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return o;
}
