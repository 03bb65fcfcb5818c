/*
 * repos.c -- the forge's repositories as a whole:
 *   forge.driver.local.delete  {name} -> {deleted}        for good (a golden path's undo)
 *   forge.driver.local.archive {name} -> {archived, path} kept read-only, gone from the list
 *   forge.driver.local.info    {name} -> {name, url, default_branch, head, archived, path}
 *   forge.driver.local.list    {}     -> [{name, url, path, default_branch}]
 *
 * Live repositories are $PAVED_HOME/forge/NAME.git; archived ones are
 * moved to $PAVED_HOME/forge/archive/NAME.STAMP.git (STAMP: UTC time, so
 * the newest sorts last), refuse pushes and lose their write bits.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forge_local.h"

/* Is PATH a directory?  Sets *ERRMSG (and returns false) when it exists
 * as something else or cannot be read; MISSING tells them apart. */
static bool is_repo_dir(const char *path, bool *missing, char **errmsg)
{
	struct stat st;
	*missing = false;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			*missing = true;
		else
			paved->error(errmsg, "cannot use %s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		paved->error(errmsg, "%s is not a repository directory; remove it by hand", path);
		return false;
	}
	return true;
}

/* The live repository NAME of ARGS: its path (caller frees), or NULL with
 * *ERRMSG ("no repository 'NAME'"). */
static char *live_repo(paved_ctx *ctx, json_t *args, const char **name, char **errmsg)
{
	static const char *const known[] = { "name", NULL };
	bool missing;
	if (fl_check_keys(args, known, errmsg) || !(*name = fl_name_arg(args, errmsg)))
		return NULL;
	char *path = fl_repo_path(ctx, *name);
	if (!path) {
		paved->error(errmsg, "out of memory");
		return NULL;
	}
	if (!is_repo_dir(path, &missing, errmsg)) {
		if (missing)
			paved->error(errmsg, "no repository '%s'", *name);
		free(path);
		return NULL;
	}
	return path;
}

/* forge.driver.local.delete: NAME.git is first renamed to a hidden name,
 * so a half-removed repository never shows under its name. */
int fl_delete(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *name;
	char *path = live_repo(ctx, args, &name, errmsg), *url = NULL, *tmp = NULL;
	int rc = PAVED_ERR;
	(void)data;
	if (!path)
		return PAVED_ERR;
	if (!(url = pc_printf("file://%s", path)) ||
	    !(tmp = pc_printf("%s/forge/.%s.git.deleting-%ld", paved->home(ctx), name,
	                      (long)getpid()))) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	if (rename(path, tmp) != 0) {
		paved->error(errmsg, "cannot remove %s: %s", path, strerror(errno));
		goto done;
	}
	if (pc_rmtree(tmp) != 0) {
		paved->error(errmsg, "removed %s from the forge but could not delete its files "
		             "in %s: %s", path, tmp, strerror(errno));
		goto done;
	}
	json_t *ev = json_pack("{s:s, s:s}", "name", name, "url", url);
	paved->emit(ctx, "forge.repository.deleted", ev);
	json_decref(ev);
	*result = json_pack("{s:b}", "deleted", 1);
	rc = PAVED_OK;
done:
	free(path), free(url), free(tmp);
	return rc;
}

/* forge.driver.local.archive: move NAME.git into the archive, refuse
 * pushes there, drop its write bits. */
int fl_archive(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *name;
	char *path = live_repo(ctx, args, &name, errmsg), *dir = NULL, *to = NULL;
	int rc = PAVED_ERR;
	(void)data;
	if (!path)
		return PAVED_ERR;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	if (!(dir = fl_archive_dir(ctx))) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	if (pc_mkdir_p(dir, 0777) != 0) {
		paved->error(errmsg, "cannot create the archive %s: %s", dir, strerror(errno));
		goto done;
	}
	/* NAME.STAMP.git, or NAME.STAMP-N.git when archived twice in a second */
	for (int n = 1; n < 100; n++) {
		free(to);
		to = n == 1 ? pc_printf("%s/%s.%s.git", dir, name, stamp)
		            : pc_printf("%s/%s.%s-%d.git", dir, name, stamp, n);
		if (!to || !fl_exists(to))
			break;
	}
	if (!to || fl_exists(to)) {
		paved->error(errmsg, "cannot archive %s: no free name in %s", path, dir);
		goto done;
	}
	if (rename(path, to) != 0) {
		paved->error(errmsg, "cannot archive %s to %s: %s", path, to, strerror(errno));
		goto done;
	}
	if (fl_install_archived(to, name) != 0 || fl_make_read_only(to) != 0)
		paved->log(ctx, PAVED_LOG_WARN, "forge.local: archived %s to %s, but could not make "
		           "it read-only: %s", name, to, strerror(errno));
	json_t *ev = json_pack("{s:s, s:s}", "name", name, "path", to);
	paved->emit(ctx, "forge.repository.archived", ev);
	json_decref(ev);
	*result = json_pack("{s:b, s:s}", "archived", 1, "path", to);
	rc = PAVED_OK;
done:
	free(path), free(dir), free(to);
	return rc;
}

/* The newest archived copy of NAME (caller frees), or NULL. */
static char *newest_archived(paved_ctx *ctx, const char *name)
{
	char *dir = fl_archive_dir(ctx), *best = NULL;
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	size_t n = strlen(name);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, name, n) != 0 || de->d_name[n] != '.' || len < n + 5 ||
		    strcmp(de->d_name + len - 4, ".git") != 0)
			continue;
		if (!best || strcmp(de->d_name, best) > 0) {
			free(best);
			best = strdup(de->d_name);
		}
	}
	if (d)
		closedir(d);
	char *path = best && dir ? pc_printf("%s/%s", dir, best) : NULL;
	free(best), free(dir);
	return path;
}

/* The sha BRANCH points at in bare repository BARE, malloc()ed, or NULL
 * when the branch has no commit yet. */
static char *branch_head(paved_ctx *ctx, const char *bare, const char *branch)
{
	char *ref = pc_printf("refs/heads/%s", branch), *loose = pc_printf("%s/%s", bare, ref);
	char *sha = loose ? fl_read_line(loose) : NULL, *err = NULL;
	if (!sha && ref) {   /* packed (after git gc): ask git */
		const char *argv[] = { "git", "--git-dir", bare, "rev-parse", "--verify", "-q", ref, NULL };
		if (fl_git(ctx, "rev-parse", argv, NULL, NULL, &sha, &err) != PAVED_OK)
			sha = NULL;
	}
	free(ref), free(loose), free(err);
	return sha;
}

int fl_info(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	static const char *const known[] = { "name", NULL };
	const char *name;
	bool missing, archived = false;
	(void)data;
	if (fl_check_keys(args, known, errmsg) || !(name = fl_name_arg(args, errmsg)))
		return PAVED_ERR;
	char *path = fl_repo_path(ctx, name), *err = NULL;
	if (!path)
		return paved->error(errmsg, "out of memory");
	if (!is_repo_dir(path, &missing, &err)) {
		free(path);
		if (!missing) {
			free(*errmsg);
			*errmsg = err;
			return PAVED_ERR;
		}
		free(err);
		if (!(path = newest_archived(ctx, name)))
			return paved->error(errmsg, "no repository '%s'", name);
		archived = true;
	}
	char *branch = fl_default_branch(path), *head = branch_head(ctx, path, branch);
	*result = json_pack("{s:s, s:s+, s:s, s:o, s:b, s:s}", "name", name, "url", "file://", path,
	                    "default_branch", branch, "head", head ? json_string(head) : json_null(),
	                    "archived", archived, "path", path);
	free(branch), free(head), free(path);
	return *result ? PAVED_OK : paved->error(errmsg, "out of memory");
}

/* forge.driver.local.url: the clone URL repository NAME has, or will have
 * once created (a golden path renders it into files before the repository
 * exists). */
int fl_url(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	static const char *const known[] = { "name", NULL };
	const char *name;
	(void)data;
	if (fl_check_keys(args, known, errmsg) || !(name = fl_name_arg(args, errmsg)))
		return PAVED_ERR;
	char *path = fl_repo_path(ctx, name);
	if (!path)
		return paved->error(errmsg, "out of memory");
	*result = json_pack("{s:s+}", "url", "file://", path);
	free(path);
	return *result ? PAVED_OK : paved->error(errmsg, "out of memory");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* forge.driver.local.list: the live repositories, sorted by name. */
int fl_list(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	static const char *const known[] = { NULL };
	char *forge = NULL, **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = NULL;
	struct dirent *de;
	int rc = PAVED_ERR;
	(void)data;
	if (fl_check_keys(args, known, errmsg))
		return PAVED_ERR;
	if (!(forge = fl_repo_path(ctx, NULL)) || !(*result = json_array()))
		goto oom;
	if (!(d = opendir(forge))) {
		rc = errno == ENOENT ? PAVED_OK
		                     : paved->error(errmsg, "cannot read %s: %s", forge, strerror(errno));
		goto done;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".git") != 0)
			continue;
		char *nm = strndup(de->d_name, len - 4);
		if (!nm)
			goto oom;
		if (!fl_valid_name(nm)) {
			free(nm);
			continue;
		}
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof *names);
			if (!grown) {
				free(nm);
				goto oom;
			}
			names = grown;
		}
		names[n++] = nm;
	}
	if (n)   /* names is NULL in an empty forge, and qsort's must not be */
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		char *path = pc_printf("%s/%s.git", forge, names[i]);
		struct stat st;
		if (!path)
			goto oom;
		char *branch = fl_default_branch(path);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		    json_array_append_new(*result, json_pack("{s:s, s:s+, s:s, s:s}", "name", names[i],
		                                             "url", "file://", path, "path", path,
		                                             "default_branch", branch))) {
			free(path), free(branch);
			goto oom;
		}
		free(path), free(branch);
	}
	rc = PAVED_OK;
	goto done;
oom:
	rc = paved->error(errmsg, "out of memory");
done:
	if (rc) {
		json_decref(*result);
		*result = NULL;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(forge);
	return rc;
}
