/*
 * commits.c -- single commits of a repository:
 *   forge.driver.local.resolve  {name, ref?}      -> {sha, short, ref, author, committed_at, subject}
 *   forge.driver.local.checkout {name, ref?, dir} -> the same, and DIR holds the commit's files
 *
 * REF is a branch, a tag, a sha or its unique prefix, or anything git's
 * rev-parse takes short of ranges and paths (main~2); default the default
 * branch.  A checkout is one git process (read-tree -u into DIR with a
 * private index file): no clone, no .git in DIR, nothing written to the
 * repository, so checkouts run side by side with pushes and each other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forge_local.h"

/* Resolve REF (NULL: the default branch) of bare repository PATH (named
 * NAME, for messages) into a commit object; NULL with *ERRMSG. */
static json_t *resolve(paved_ctx *ctx, const char *path, const char *name, const char *ref,
                       char **errmsg)
{
	char *branch = NULL, *spec = NULL, *out = NULL, *err = NULL;
	json_t *c = NULL;
	if (ref && !fl_valid_ref(ref)) {
		paved->error(errmsg, "invalid ref '%s': name a branch, a tag or a commit", ref);
		return NULL;
	}
	if (!ref)
		ref = branch = fl_default_branch(path);
	if (!(spec = pc_printf("%s^{commit}", ref))) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	const char *argv[] = { "git", "--git-dir", path, "show", "-s", "--no-show-signature",
	                       "--format=%H%n%an <%ae>%n%cI%n%s", "--end-of-options", spec,
	                       NULL };
	if (fl_git(ctx, "show", argv, NULL, NULL, &out, &err) != PAVED_OK) {
		if (branch)
			paved->error(errmsg, "repository '%s' has no commit on its default branch '%s' "
			             "yet", name, branch);
		else if (err && (strstr(err, "unknown revision") || strstr(err, "ambiguous argument")))
			paved->error(errmsg, "no commit '%s' in repository '%s'", ref, name);
		else {
			free(*errmsg);
			*errmsg = err, err = NULL;
		}
		goto done;
	}
	/* four lines: sha, author, commit time, subject (git allows no newline
	 * in a name or a subject line) */
	char *f[4] = { out, NULL, NULL, NULL };
	for (int i = 1; i < 4; i++) {
		char *nl = f[i - 1] ? strchr(f[i - 1], '\n') : NULL;
		if (nl)
			*nl = '\0';
		f[i] = nl ? nl + 1 : NULL;
	}
	size_t len0 = strlen(f[0]);
	if (!f[3])   /* an empty subject: its line went with the trailing newline */
		f[3] = "";
	if ((len0 != 40 && len0 != 64) || !f[2]) {
		paved->error(errmsg, "git show printed no commit for '%s' of repository '%s'", ref, name);
		goto done;
	}
	c = json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s}", "sha", f[0], "short", f[0], (size_t)12,
	              "ref", ref, "author", f[1], "committed_at", f[2], "subject", f[3]);
	if (!c)
		paved->error(errmsg, "out of memory (or a commit that is not UTF-8)");
done:
	free(branch), free(spec), free(out), free(err);
	return c;
}

/* The live repository of ARGS (keys KNOWN): *NAME, and its path (caller
 * frees), or NULL with *ERRMSG. */
static char *repo_of(paved_ctx *ctx, json_t *args, const char *const known[], const char **name,
                     char **errmsg)
{
	struct stat st;
	if (fl_check_keys(args, known, errmsg) || !(*name = fl_name_arg(args, errmsg)))
		return NULL;
	json_t *ref = json_object_get(args, "ref");
	if (ref && !json_is_null(ref) && (!json_is_string(ref) || !*json_string_value(ref))) {
		paved->error(errmsg, "argument 'ref' must be a non-empty string");
		return NULL;
	}
	char *path = fl_repo_path(ctx, *name);
	if (path && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return path;
	paved->error(errmsg, path ? "no repository '%s'" : "out of memory", *name);
	free(path);
	return NULL;
}

int fl_resolve(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	static const char *const known[] = { "name", "ref", NULL };
	const char *name;
	(void)data;
	char *path = repo_of(ctx, args, known, &name, errmsg);
	if (!path)
		return PAVED_ERR;
	*result = resolve(ctx, path, name, json_string_value(json_object_get(args, "ref")), errmsg);
	free(path);
	return *result ? PAVED_OK : PAVED_ERR;
}

int fl_checkout(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	static const char *const known[] = { "name", "ref", "dir", NULL };
	const char *name, *dir = json_string_value(json_object_get(args, "dir"));
	char *path = NULL, *index = NULL, *parent = NULL, *envi = NULL;
	char **env = NULL;
	json_t *c = NULL;
	bool made = false;
	(void)data;
	if (!(path = repo_of(ctx, args, known, &name, errmsg)))
		return PAVED_ERR;
	if (!dir || dir[0] != '/') {
		paved->error(errmsg, "argument 'dir' (an absolute path that does not exist yet) is "
		             "required");
		goto done;
	}
	if (!(c = resolve(ctx, path, name, json_string_value(json_object_get(args, "ref")), errmsg)))
		goto done;
	if (!(parent = strdup(dir)) || !(index = pc_printf("%s.index", dir))) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (pc_mkdir_p(parent, 0777) != 0) {
			paved->error(errmsg, "cannot create %s: %s", parent, strerror(errno));
			goto done;
		}
	}
	if (mkdir(dir, 0777) != 0) {
		paved->error(errmsg, errno == EEXIST ? "cannot check out into %s: it already exists"
		             : "cannot create %s: %s", dir, strerror(errno));
		goto done;
	}
	made = true;
	/* a private index beside DIR: read-tree writes it, not the repository */
	const char *sha = json_string_value(json_object_get(c, "sha"));
	const char *argv[] = { "git", "--git-dir", path, "--work-tree", dir, "read-tree", "--reset",
	                       "-u", sha, NULL };
	if (!(env = fl_git_env(NULL, NULL)) || !(envi = pc_printf("GIT_INDEX_FILE=%s", index))) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	for (size_t i = 0; env[i]; i++)   /* replace the "unset GIT_INDEX_FILE" entry */
		if (strcmp(env[i], "GIT_INDEX_FILE") == 0)
			free(env[i]), env[i] = envi, envi = NULL;
	if (fl_git(ctx, "read-tree", argv, env, NULL, NULL, errmsg) != PAVED_OK)
		goto done;
	*result = c, c = NULL;
done:
	if (index)
		unlink(index);
	if (!*result && made)
		pc_rmtree(dir);
	json_decref(c);
	fl_env_free(env);
	free(path), free(index), free(parent), free(envi);
	return *result ? PAVED_OK : PAVED_ERR;
}
