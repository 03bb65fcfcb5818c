/*
 * fs.c -- the file work of the forge: replicating an object store by hard
 * links, writing small files atomically, making an archived repository
 * read-only.  All of it with system calls, no
 * shell (mkdir -p and rm -rf are plugins/common's).
 */
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forge_local.h"

bool fl_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Copy the regular file SRC to the new file DST with SRC's mode. */
static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1, e = 0;
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (out < 0)
		goto done;
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto done;
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n; ) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto done;
			off += w;
		}
	}
	rc = 0;
done:
	e = errno;
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = -1, e = errno;
	close(in);
	errno = e;
	return rc;
}

int fl_link_tree(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;
	int rc = 0;
	if (!d || (mkdir(dst, 0777) != 0 && errno != EEXIST)) {
		int e = errno;
		if (d)
			closedir(d);
		errno = e;
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *s = pc_printf("%s/%s", src, de->d_name);
		char *t = pc_printf("%s/%s", dst, de->d_name);
		if (!s || !t)
			rc = -1, errno = ENOMEM;
		else if (lstat(s, &st) != 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode))
			rc = fl_link_tree(s, t);
		else if (S_ISREG(st.st_mode) && link(s, t) != 0)
			rc = copy_file(s, t, st.st_mode);
		free(s);
		free(t);
	}
	int e = errno;
	closedir(d);
	errno = e;
	return rc;
}

/* Write all of DATA to FD. */
static int write_all(int fd, const char *data)
{
	size_t n = strlen(data);
	while (n > 0) {
		ssize_t w = write(fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

int fl_write_file(const char *path, const char *data, mode_t mode)
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
	char *tmp = pc_printf("%s.tmp%ld", path, (long)getpid());
	int fd = -1, rc = -1, e = ENOMEM;
	if (!dir || !tmp)
		goto done;
	if (slash && slash != dir) {
		*slash = '\0';
		if (pc_mkdir_p(dir, 0777) != 0)
			goto fail;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd >= 0 && fchmod(fd, mode) != 0)
		goto fail;
	if (fd < 0 || write_all(fd, data) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	rc = 0;
	e = 0;
	goto done;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
done:
	free(dir);
	free(tmp);
	errno = e;
	return rc;
}

int fl_append_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, data), e = errno;
	if (close(fd) != 0 && rc == 0)
		rc = -1, e = errno;
	errno = e;
	return rc;
}

char *fl_read_line(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	if (!f)
		return NULL;
	ssize_t n = getline(&line, &cap, f);
	int e = errno;
	fclose(f);
	if (n < 0) {
		free(line);
		errno = n < 0 && !e ? EIO : e;
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* nftw callback of fl_make_read_only: drop every write bit. */
static int read_only_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type == FTW_SL)
		return 0;
	return chmod(path, st->st_mode & ~(mode_t)0222) == 0 ? 0 : -1;
}

int fl_make_read_only(const char *path)
{
	return nftw(path, read_only_one, 16, FTW_PHYS | FTW_DEPTH);
}
