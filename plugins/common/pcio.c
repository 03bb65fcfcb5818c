/*
 * pcio.c -- files, randomness, loopback ports and the per-home server
 * directories of root (see pc.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "pc.h"

char *pc_read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = b, cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			buf = NULL;
			errno = e;
		}
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	int e = errno;
	close(fd);
	errno = e;
	if (buf)
		buf[len] = '\0';
	return buf;
}

int pc_write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	char *tmp = pc_printf("%s.XXXXXX", path);
	if (!tmp)
		return errno = ENOMEM, -1;
	int fd = mkostemp(tmp, O_CLOEXEC), e = 0;
	if (fd < 0) {
		e = errno;
		free(tmp);
		return errno = e, -1;
	}
	if (fchmod(fd, mode) != 0)
		e = errno;
	for (size_t off = 0; !e && off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno != EINTR)
			e = errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (e)
		unlink(tmp);
	free(tmp);
	errno = e;
	return e ? -1 : 0;
}

char *pc_last_line(const char *text)
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

int pc_random_hex(char *out, size_t nbytes)
{
	unsigned char b[64];
	if (nbytes > sizeof b)
		return errno = EINVAL, -1;
	for (size_t got = 0; got < nbytes;) {
		ssize_t n = getrandom(b + got, nbytes - got, 0);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	for (size_t i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * nbytes] = '\0';
	explicit_bzero(b, sizeof b);
	return 0;
}

int pc_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		int e = errno;
		close(fd);
		return errno = e, -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

bool pc_port_taken(int port)
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

/* ---- per-home server directories of root ------------------------------- */

#define SYSDIR "/var/lib/paved"

/* KIND-HASH under SYSDIR for the path P (FNV-1a, 64 bits). */
static char *sysdir_of(const char *kind, const char *p)
{
	unsigned long long x = 1469598103934665603ULL;
	for (const char *s = p; *s; s++)
		x = (x ^ (unsigned char)*s) * 1099511628211ULL;
	return pc_printf(SYSDIR "/%s-%016llx", kind, x);
}

char *pc_sysdir(const char *kind, const char *home)
{
	char real[PATH_MAX];
	return sysdir_of(kind, realpath(home, real) ? real : home);
}

int pc_sysdir_make(const char *dir, const char *home, const char *link, uid_t uid, gid_t gid)
{
	char real[PATH_MAX], *reg = pc_printf("%s/home", dir), *text = NULL;
	int rc = -1, e = 0;
	if (!reg || !(text = pc_printf("%s\n", realpath(home, real) ? real : home))) {
		e = ENOMEM;
		goto out;
	}
	if (pc_mkdir_p(SYSDIR, 0755) || (mkdir(dir, 0700) && errno != EEXIST) ||
	    chown(dir, uid, gid) || chmod(dir, 0700) || pc_write_file(reg, text, strlen(text), 0644)) {
		e = errno;
		goto out;
	}
	if (link) {
		char *parent = strdup(link), *slash = parent ? strrchr(parent, '/') : NULL;
		if (slash)
			*slash = '\0';
		if (!parent || pc_mkdir_p(parent, 0700) || ((unlink(link) && errno != ENOENT) ||
		                                           symlink(dir, link)))
			e = parent ? errno : ENOMEM;
		free(parent);
		if (e)
			goto out;
	}
	rc = 0;
out:
	free(reg), free(text);
	errno = e;
	return rc;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The registered directory of KIND whose "home" file names REAL or TYPED. */
static char *registered(const char *kind, const char *real, const char *typed)
{
	DIR *d = opendir(SYSDIR);
	struct dirent *e;
	char *found = NULL;
	size_t n = strlen(kind);
	while (d && !found && (e = readdir(d))) {
		if (strncmp(e->d_name, kind, n) != 0 || e->d_name[n] != '-')
			continue;
		char *dir = pc_printf(SYSDIR "/%s", e->d_name);
		char *reg = dir ? pc_printf("%s/home", dir) : NULL, *text = reg ? pc_read_file(reg) : NULL;
		if (text)
			text[strcspn(text, "\n")] = '\0';
		if (text && (!strcmp(text, real) || !strcmp(text, typed)))
			found = dir, dir = NULL;
		free(dir), free(reg), free(text);
	}
	if (d)
		closedir(d);
	return found;
}

char *pc_sysdir_find(const char *kind, const char *home, const char *link)
{
	char real[PATH_MAX], target[PATH_MAX];
	ssize_t n = link ? readlink(link, target, sizeof target - 1) : -1;
	if (n > 0) {
		target[n] = '\0';
		if (is_dir(target))
			return strdup(target);
	}
	const char *r = realpath(home, real) ? real : home;
	char *dir = sysdir_of(kind, r);
	if (is_dir(dir))
		return dir;
	free(dir);
	if ((dir = registered(kind, r, home)))
		return dir;
	dir = sysdir_of(kind, home);
	if (is_dir(dir))
		return dir;
	free(dir);
	return NULL;
}
