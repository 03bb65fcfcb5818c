/*
 * skeleton.c -- render a golden path's skeleton/ into a new directory.
 *
 * File and directory names and text file contents are Mustache templates.
 * Binary files (a NUL in their first 8 KiB) are copied byte for byte.
 * Modes are kept, plus the owner's read and write (execute for
 * directories), so a skeleton installed read-only renders an editable tree.  A rendered name that is empty, ".", ".." or contains
 * "/" would escape or corrupt the target, so it is refused.  The target
 * must not exist; on any failure it is removed again, so a failed render
 * leaves nothing behind.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "proc.h"
#include "skeleton.h"
#include "template.h"

/* Read the whole file PATH.  Caller frees; NULL with *ERRMSG on failure. */
char *pv_read_file(const char *path, size_t *len, char **errmsg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (fd < 0) {
		pv_seterr(errmsg, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *g = realloc(buf, cap = cap ? cap * 2 : 16384);
			if (!g) {
				pv_seterr(errmsg, "out of memory reading %s", path);
				goto fail;
			}
			buf = g;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pv_seterr(errmsg, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* Write N bytes to PATH (created with MODE, must not exist). */
int pv_write_file(const char *path, const char *data, size_t n, mode_t mode, char **errmsg)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (fd < 0)
		return pv_seterr(errmsg, "cannot create %s: %s", path, strerror(errno));
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			close(fd);
			return pv_seterr(errmsg, "cannot write %s: %s", path, strerror(errno));
		}
		off += (size_t)w;
	}
	fchmod(fd, mode & 07777);  /* not subject to the umask */
	return close(fd) == 0 ? PAVED_OK : pv_seterr(errmsg, "cannot write %s", path);
}

static bool is_binary(const char *data, size_t n)
{
	return memchr(data, '\0', n < 8192 ? n : 8192) != NULL;
}

/* Render one path component NAME; refuse one that escapes the target. */
static char *render_name(const char *rel, const char *name, json_t *ctx,
                         const struct pv_render_limits *lim, char **errmsg)
{
	char *out = NULL, *err = NULL;
	if (pv_render_limited(name, strlen(name), ctx, 0, lim, &out, NULL, &err)) {
		pv_seterr(errmsg, "skeleton/%s%s%s: in the file name: %s", rel, *rel ? "/" : "",
		          name, err);
		free(err);
		return NULL;
	}
	if (!*out || strcmp(out, ".") == 0 || strcmp(out, "..") == 0 || strchr(out, '/')) {
		pv_seterr(errmsg, "skeleton/%s%s%s: the name renders to '%s', which would escape "
		          "the target directory; check the template variables", rel,
		          *rel ? "/" : "", name, out);
		free(out);
		return NULL;
	}
	return out;
}

/* Render one file SRC (named REL in messages) to DST. */
static int render_file(const char *src, const char *rel, const char *dst, mode_t mode,
                       json_t *ctx, const struct pv_render_limits *lim, char **errmsg)
{
	size_t n;
	char *data = pv_read_file(src, &n, errmsg), *out = NULL, *err = NULL;
	int rc;
	if (!data)
		return PAVED_ERR;
	if (is_binary(data, n)) {
		rc = pv_write_file(dst, data, n, mode, errmsg);
	} else if (pv_render_limited(data, n, ctx, 1, lim, &out, &n, &err)) {
		rc = pv_seterr(errmsg, "skeleton/%s:%s", rel, err ? err : " cannot render");
	} else {
		rc = pv_write_file(dst, out, n, mode, errmsg);
	}
	free(err);
	free(out);
	free(data);
	return rc;
}

/* Recursive worker: SRC/REL rendered into DST. */
static int render_dir(const char *src, const char *rel, const char *dst, json_t *ctx,
                      const struct pv_render_limits *lim, int *count, char **errmsg)
{
	struct dirent **ents = NULL;
	char *sdir = *rel ? pv_path_join(src, rel) : pv_strdup(src);
	int n = sdir ? scandir(sdir, &ents, NULL, alphasort) : -1, rc = PAVED_OK;
	if (n < 0) {
		rc = pv_seterr(errmsg, "cannot read skeleton directory %s: %s", sdir ? sdir : src,
		               strerror(errno));
		free(sdir);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		char *spath = NULL, *srel = NULL, *dname = NULL, *dpath = NULL;
		struct stat st;
		if (rc || strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			goto next;
		spath = pv_path_join(sdir, nm);
		srel = *rel ? pv_asprintf("%s/%s", rel, nm) : pv_strdup(nm);
		if (!spath || !srel || !(dname = render_name(rel, nm, ctx, lim, errmsg)) ||
		    !(dpath = pv_path_join(dst, dname))) {
			rc = PAVED_ERR;
			goto next;
		}
		if (lstat(spath, &st) != 0) {
			rc = pv_seterr(errmsg, "cannot stat %s: %s", spath, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			/* owner-writable, so a read-only source tree renders too */
			if (mkdir(dpath, (st.st_mode & 07777) | 0700) != 0)
				rc = pv_seterr(errmsg, "cannot create %s: %s", dpath, strerror(errno));
			else
				rc = render_dir(src, srel, dpath, ctx, lim, count, errmsg);
		} else if (S_ISREG(st.st_mode)) {
			rc = render_file(spath, srel, dpath, st.st_mode | 0600, ctx, lim, errmsg);
			*count += rc == PAVED_OK;
		} else {
			rc = pv_seterr(errmsg, "skeleton/%s: only files and directories are allowed", srel);
		}
next:
		free(spath), free(srel), free(dname), free(dpath);
		free(ents[i]);
	}
	free(ents);
	free(sdir);
	return rc;
}

int pv_render_tree(const char *src, const char *dst, json_t *ctx, int *count, char **errmsg)
{
	return pv_render_tree_limited(src, dst, ctx, NULL, count, errmsg);
}

int pv_render_tree_limited(const char *src, const char *dst, json_t *ctx,
                           const struct pv_render_limits *lim, int *count, char **errmsg)
{
	struct stat st;
	*count = 0;
	if (lstat(dst, &st) == 0)
		return pv_seterr(errmsg, "%s already exists; choose another name or remove it", dst);
	if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
		return pv_seterr(errmsg, "skeleton %s is not a directory", src);
	if (mkdir(dst, 0755) != 0)
		return pv_seterr(errmsg, "cannot create %s: %s", dst, strerror(errno));
	int rc = render_dir(src, "", dst, ctx, lim, count, errmsg);
	if (rc)
		pv_rm_rf(dst, NULL);
	return rc;
}
