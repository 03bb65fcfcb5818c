/*
 * source.c -- what a deploy builds: a commit of the service's forge
 * repository (forge.resolve, forge.checkout), or, only when --dir is given,
 * a commit of that working copy.
 *
 * A working copy is deployed from its HEAD (or --version REF in it),
 * including commits not pushed yet, but never from uncommitted files: a
 * release must be reproducible from a commit, so a working copy with
 * changes (modified, staged or untracked files that are not ignored) is
 * refused with a message listing them.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy.h"

/* Variables of a post-receive hook or a caller's shell that would point
 * git at another repository or index. */
static const char *const git_env[] = { "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR",
	"GIT_QUARANTINE_PATH", "GIT_NAMESPACE", NULL };

/* Run git ARGV (doing WHAT, for messages) in the working copy; OUT (may be
 * NULL) gets stdout.  EXTRA is one more "NAME=value" (may be NULL). */
static int git(paved_ctx *ctx, const char *what, const char *const argv[], const char *extra,
               char **out, char **errmsg)
{
	const char *env[16];
	size_t n = 0;
	for (; git_env[n]; n++)
		env[n] = git_env[n];
	if (extra)
		env[n++] = extra;
	env[n] = NULL;
	struct paved_run_result res = { 0 };
	struct paved_cmd cmd = { .argv = argv, .env = env, .timeout_ms = 120000 };
	int rc = paved->run(ctx, &cmd, &res, errmsg);
	if (!rc && res.status != 0) {
		char *line = res.err, *nl;
		while (line && (nl = strchr(line, '\n')) && strncmp(line, "fatal:", 6) &&
		       strncmp(line, "error:", 6))
			line = nl + 1;
		if (line && (nl = strchr(line, '\n')))
			*nl = '\0';
		rc = paved->error(errmsg, "git %s failed: %s", what, line && *line ? line : "no message");
	}
	if (!rc && out) {
		size_t l = res.out_len;
		while (l && res.out[l - 1] == '\n')
			res.out[--l] = '\0';
		*out = res.out, res.out = NULL;
	}
	free(res.out), free(res.err);
	return rc;
}

/* The uncommitted changes of working copy DIR as "M a.c, ?? b.txt" (at
 * most 10 named), or NULL when it is clean.  -1 on error. */
static int changes(paved_ctx *ctx, const char *dir, char **list, char **errmsg)
{
	const char *argv[] = { "git", "-C", dir, "status", "--porcelain", NULL };
	char *out = NULL;
	*list = NULL;
	if (git(ctx, "status", argv, NULL, &out, errmsg))
		return -1;
	if (!*out) {
		free(out);
		return 0;
	}
	size_t cap = strlen(out) + 64, len = 0, n = 0, total = 0;
	char *l = malloc(cap), *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); l && line; line = strtok_r(NULL, "\n", &save)) {
		total++;
		if (n++ < 10)
			len += (size_t)snprintf(l + len, cap - len, "%s%s", len ? ", " : "", line);
	}
	if (l && total > 10)
		snprintf(l + len, cap - len, " and %zu more", total - 10);
	free(out);
	*list = l;
	return 0;
}

/* Resolve REF in working copy DIR into a commit object. */
static json_t *wc_commit(paved_ctx *ctx, const char *dir, const char *ref, char **errmsg)
{
	char *spec = pc_printf("%s^{commit}", ref ? ref : "HEAD"), *out = NULL;
	const char *argv[] = { "git", "-C", dir, "show", "-s", "--no-show-signature",
	                       "--format=%H%n%an <%ae>%n%cI%n%s", "--end-of-options", spec, NULL };
	json_t *c = NULL;
	if (ref && (ref[0] == '-' || strstr(ref, ".."))) {
		paved->error(errmsg, "invalid ref '%s': name a branch, a tag or a commit", ref);
	} else if (git(ctx, "show", argv, NULL, &out, errmsg) == PAVED_OK) {
		char *f[4] = { out, NULL, NULL, NULL };
		for (int i = 1; i < 4; i++) {
			char *nl = f[i - 1] ? strchr(f[i - 1], '\n') : NULL;
			if (nl)
				*nl = '\0';
			f[i] = nl ? nl + 1 : NULL;
		}
		if (strlen(f[0]) == 40 && f[2])
			c = json_pack("{ss ss% ss ss ss ss}", "sha", f[0], "short", f[0], (size_t)12,
			              "ref", ref ? ref : "HEAD", "author", f[1], "committed_at", f[2],
			              "subject", f[3] ? f[3] : "");
		if (!c)
			paved->error(errmsg, "git show printed no commit for '%s' in %s", ref ? ref : "HEAD",
			             dir);
	} else if (strstr(*errmsg, "unknown revision") || strstr(*errmsg, "ambiguous argument")) {
		paved->error(errmsg, "no commit '%s' in the working copy %s", ref ? ref : "HEAD", dir);
	}
	free(spec), free(out);
	return c;
}

bool dc_service_exists(paved_ctx *ctx, const char *svc)
{
	json_t *a = json_pack("{ss}", "name", svc), *info = NULL;
	char *err = NULL;
	bool yes = paved->call(ctx, "forge.info", a, &info, &err) == PAVED_OK &&
	           !json_is_true(json_object_get(info, "archived"));
	json_decref(a), json_decref(info), free(err);
	if (!yes) {
		json_t *ix = dc_index_get(ctx, svc);
		yes = ix && !json_object_get(ix, "deleted");
		json_decref(ix);
	}
	return yes;
}

int dc_source_resolve(paved_ctx *ctx, const char *svc, const char *dir, const char *ref,
                      struct dc_source *s, char **errmsg)
{
	memset(s, 0, sizeof *s);
	s->svc = svc;
	if (dir) {
		char real[PATH_MAX], *list = NULL;
		struct stat st;
		if (!realpath(dir, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
			return paved->error(errmsg, "--dir %s: %s", dir, errno ? strerror(errno) :
			                    "not a directory");
		char *git_dir = pc_printf("%s/.git", real);
		bool repo = access(git_dir, F_OK) == 0;
		free(git_dir);
		if (!repo)
			return paved->error(errmsg, "%s is not a git repository: --dir deploys a commit "
			                    "of a working copy", real);
		if (changes(ctx, real, &list, errmsg))
			return PAVED_ERR;
		if (list) {
			int rc = paved->error(errmsg, "%s has uncommitted changes (%s): a deploy is built "
			                      "from a commit; commit or stash them and deploy again", real,
			                      list);
			free(list);
			return rc;
		}
		if (!(s->commit = wc_commit(ctx, real, ref, errmsg)))
			return PAVED_ERR;
		if (!(s->dir = strdup(real))) {
			dc_source_free(s);
			return paved->error(errmsg, "out of memory");
		}
		return PAVED_OK;
	}
	json_t *a = json_pack("{ss}", "name", svc), *info = NULL;
	char *err = NULL;
	int rc = paved->call(ctx, "forge.info", a, &info, &err);
	if (rc == PAVED_OK && json_is_true(json_object_get(info, "archived")))
		rc = paved->error(errmsg, "no service '%s' (its repository was archived: %s)", svc,
		                  json_string_value(json_object_get(info, "path")));
	else if (rc == PAVED_NOHOOK)
		rc = paved->error(errmsg, "no forge is installed: deploy a working copy with --dir DIR");
	else if (rc && dc_service_exists(ctx, svc))
		rc = paved->error(errmsg, "%s has no repository in the forge: deploy its working copy "
		                  "with --dir DIR", svc);
	else if (rc)
		rc = paved->error(errmsg, "no service '%s'", svc);
	json_decref(info);
	free(err), err = NULL;
	if (rc) {
		json_decref(a);
		return rc;
	}
	if (ref)
		json_object_set_new(a, "ref", json_string(ref));
	rc = paved->call(ctx, "forge.resolve", a, &s->commit, &err);
	json_decref(a);
	if (rc) {
		json_decref(s->commit), s->commit = NULL;
		const char *msg = err ? err : "?";
		const char *inner = strstr(msg, "resolve: ");   /* without the driver's prefix */
		paved->error(errmsg, "%s", inner ? inner + 9 : msg);
	}
	free(err);
	return rc;
}

int dc_source_checkout(paved_ctx *ctx, struct dc_source *s, const char *dest, char **errmsg)
{
	const char *sha = json_string_value(json_object_get(s->commit, "sha"));
	if (!s->dir) {
		json_t *a = json_pack("{ss ss ss}", "name", s->svc, "ref", sha, "dir", dest), *res = NULL;
		int rc = paved->call(ctx, "forge.checkout", a, &res, errmsg);
		json_decref(a), json_decref(res);
		return rc;
	}
	char *index = pc_printf("GIT_INDEX_FILE=%s.index", dest);
	const char *argv[] = { "git", "-C", s->dir, "--work-tree", dest, "read-tree", "--reset", "-u",
	                       sha, NULL };
	int rc;
	if (mkdir(dest, 0777) != 0)
		rc = paved->error(errmsg, "cannot create %s: %s", dest, strerror(errno));
	else if ((rc = git(ctx, "read-tree", argv, index, NULL, errmsg)) != PAVED_OK)
		pc_rmtree(dest);
	unlink(index + strlen("GIT_INDEX_FILE="));
	free(index);
	return rc;
}

void dc_source_free(struct dc_source *s)
{
	free((char *)s->dir);
	json_decref(s->commit);
	memset(s, 0, sizeof *s);
}
