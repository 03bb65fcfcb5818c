/*
 * secrets.c -- the connection details of each resource (its outputs: url,
 * host, port, name, username, password) in $PAVED_HOME/secrets/NAME.json.
 *
 * Only ever in 0600 files made with mkstemp(3) (O_EXCL) and renamed into
 * place, in a 0700 directory owned by the user.  Before writing or reading,
 * the directory is checked: a PAVED_HOME other users may write is repaired
 * with a warning (they could otherwise replace the secrets directory); a
 * secrets directory that is a link or belongs to another user is refused
 * (someone else made it); one with a wider mode is repaired with a warning.
 * Nothing here logs or emits a secret.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provision.h"

/* Make sure the directory PATH is ours and no one else may write it (a
 * directory: mode WANT exactly; the home: no group or other write). */
static int check_dir(paved_ctx *ctx, const char *path, const char *what, mode_t want,
                     bool exact, char **errmsg)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return paved->error(errmsg, "cannot keep secrets in %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return paved->error(errmsg, "cannot keep secrets in %s: the %s is %s, not a "
		                    "directory; remove it (paved makes it again)", path, what,
		                    S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
	if (st.st_uid != geteuid())
		return paved->error(errmsg, "cannot keep secrets in %s: the %s belongs to uid %u, "
		                    "not to you (uid %u); another user may have made it: remove it "
		                    "(paved makes it again)", path, what, (unsigned)st.st_uid,
		                    (unsigned)geteuid());
	mode_t mode = st.st_mode & 07777;
	if (exact ? mode != want : (mode & 022) != 0) {
		mode_t to = exact ? want : mode & ~(mode_t)022;
		if (chmod(path, to) != 0)
			return paved->error(errmsg, "the %s %s may be written by other users (mode "
			                    "%04o) and cannot be repaired: %s", what, path, mode,
			                    strerror(errno));
		paved->log(ctx, PAVED_LOG_WARN, "the %s %s had mode %04o%s; it is now %04o", what, path,
		           mode, (mode & 022) ? " (other users could write it)" : "", to);
	}
	return PAVED_OK;
}

char *prv_secrets_dir(paved_ctx *ctx, char **errmsg)
{
	char *dir = pc_printf("%s/secrets", paved->home(ctx));
	if (!dir)
		return paved->error(errmsg, "out of memory"), NULL;
	int rc = check_dir(ctx, paved->home(ctx), "home (PAVED_HOME)", 0, false, errmsg);
	if (rc == PAVED_OK && mkdir(dir, 0700) != 0 && errno != EEXIST)
		rc = paved->error(errmsg, "cannot create %s: %s", dir, strerror(errno));
	if (rc == PAVED_OK)
		rc = check_dir(ctx, dir, "secrets directory", 0700, true, errmsg);
	if (rc != PAVED_OK) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *prv_secret_path(paved_ctx *ctx, const char *name)
{
	return pc_printf("%s/secrets/%s.json", paved->home(ctx), name);
}

int prv_secret_write(paved_ctx *ctx, const char *name, json_t *outputs, char **errmsg)
{
	char *dir = prv_secrets_dir(ctx, errmsg), *path = NULL, *text = NULL;
	int rc = PAVED_ERR;
	if (!dir)
		return PAVED_ERR;
	if (!(path = prv_secret_path(ctx, name)) ||
	    !(text = json_dumps(outputs, JSON_COMPACT | JSON_SORT_KEYS))) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	if (pc_write_file(path, text, strlen(text), 0600) != 0) {
		paved->error(errmsg, "cannot store the credentials of '%s' in %s: %s", name, dir,
		             strerror(errno));
		goto out;
	}
	rc = PAVED_OK;
out:
	if (text)
		explicit_bzero(text, strlen(text));
	free(text), free(path), free(dir);
	return rc;
}

json_t *prv_secret_read(paved_ctx *ctx, const char *name, char **errmsg)
{
	char *dir = prv_secrets_dir(ctx, errmsg), *path = dir ? prv_secret_path(ctx, name) : NULL;
	json_t *out = NULL;
	struct stat st;
	int fd = path ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	                (st.st_mode & 077))) {
		paved->error(errmsg, "%s is not a private file of yours (owner uid %u, mode %04o); "
		             "remove it", path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	} else if (fd >= 0) {
		json_error_t e;
		out = json_loadfd(fd, 0, &e);
		if (!out)
			paved->error(errmsg, "%s is not valid JSON (line %d)", path, e.line);
	} else if (path && errno != ENOENT) {
		paved->error(errmsg, "cannot read %s: %s", path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	free(dir), free(path);
	return out;
}

void prv_secret_remove(paved_ctx *ctx, const char *name)
{
	char *path = prv_secret_path(ctx, name);
	if (path)
		unlink(path);
	free(path);
}

/* Decode %XX in the N bytes at S (malloc()ed). */
static char *decode(const char *s, size_t n)
{
	char *o = malloc(n + 1), *p = o;
	for (size_t i = 0; o && i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };
			*p++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*p++ = s[i];
		}
	}
	if (o)
		*p = '\0';
	return o;
}

/* Set KEY of O to the decoded N bytes at S (when N > 0). */
static void put(json_t *o, const char *key, const char *s, size_t n)
{
	char *v = n ? decode(s, n) : NULL;
	if (v)
		json_object_set_new(o, key, json_string(v));
	if (v)
		explicit_bzero(v, strlen(v));
	free(v);
}

json_t *prv_outputs_of(json_t *res)
{
	const char *url = json_string_value(json_object_get(res, "url"));
	json_t *o = json_object();
	if (url) {
		const char *p = strstr(url, "://"), *at, *end, *colon, *slash;
		json_object_set_new(o, "url", json_string(url));
		p = p ? p + 3 : url;
		end = p + strcspn(p, "/?#");
		at = memrchr(p, '@', (size_t)(end - p));
		if (at) {
			colon = memchr(p, ':', (size_t)(at - p));
			put(o, "username", p, (size_t)((colon ? colon : at) - p));
			if (colon)
				put(o, "password", colon + 1, (size_t)(at - colon - 1));
			p = at + 1;
		}
		colon = memrchr(p, ':', (size_t)(end - p));
		if (colon && !memchr(colon, ']', (size_t)(end - colon))) {
			put(o, "host", p, (size_t)(colon - p));
			json_object_set_new(o, "port", json_integer(atoi(colon + 1)));
		} else {
			put(o, "host", p, (size_t)(end - p));
		}
		slash = *end == '/' ? end + 1 : NULL;
		if (slash)
			put(o, "name", slash, strcspn(slash, "?#"));
	}
	if (json_is_object(json_object_get(res, "outputs")))
		json_object_update(o, json_object_get(res, "outputs"));
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
