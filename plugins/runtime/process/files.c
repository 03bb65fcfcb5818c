/*
 * files.c -- private directories, atomic 0600 files and lock files (see
 * files.h).
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Make one directory 0700, or tighten an existing one we own.  A symbolic
 * link or a directory of another user is refused (EPERM/ENOTDIR). */
static int private_one(const char *path)
{
	struct stat st;
	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return errno = ENOTDIR, -1;
	if (st.st_uid != geteuid())
		return errno = EPERM, -1;
	if ((st.st_mode & 077) && chmod(path, 0700) != 0)
		return -1;
	return 0;
}

int rf_private_dir(const char *root, const char *rel)
{
	size_t lr = strlen(root), ll = strlen(rel);
	char *p = malloc(lr + ll + 2);
	int rc = 0;
	if (!p)
		return -1;
	memcpy(p, root, lr);
	p[lr] = '/';
	memcpy(p + lr + 1, rel, ll + 1);
	for (char *s = p + lr + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (s > p + lr + 1 && s[-1] != '/')
			rc = private_one(p);
		*s = c;
		if (!c)
			break;
	}
	int e = errno;
	free(p);
	errno = e;
	return rc;
}

int rf_write_atomic(const char *path, const char *data, size_t len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 8);
	int fd = -1, rc = -1, e = 0;
	if (!tmp)
		return -1;
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", 8);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto out;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	rc = rename(tmp, path);
out:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	free(tmp);
	errno = e;
	return rc;
}

int rf_write_json(const char *path, json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!s)
		return errno = ENOMEM, -1;
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return errno = ENOMEM, -1;
	}
	t[n] = '\n';
	int rc = rf_write_atomic(path, t, n + 1);
	int e = errno;
	free(t);
	errno = e;
	return rc;
}

json_t *rf_read_json(const char *path)
{
	return json_load_file(path, 0, NULL);
}

int rf_lock(const char *path, int shared, int nowait)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	int how = (shared ? LOCK_SH : LOCK_EX) | (nowait ? LOCK_NB : 0), r;
	while ((r = flock(fd, how)) != 0 && errno == EINTR)
		;
	if (r != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void rf_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
