/*
 * create.c -- forge.driver.local.create {name, dir, description?, message?}
 *   -> {url, default_branch, head, path}
 *
 * Makes the working copy DIR a git repository with one commit of all its
 * files and publishes it as $PAVED_HOME/forge/NAME.git, DIR's origin.  It
 * costs four git processes and no more:
 *
 *   git init --bare BARE         (started first, runs alongside the next three)
 *   git init DIR ; git -C DIR add -A ; git -C DIR commit
 *
 * then, in C, what `git clone --local` or `git push` would do for a
 * brand-new repository: the immutable object files of DIR are hard-linked
 * into BARE (copied across file systems), BARE's branch ref is written,
 * and DIR gets its `origin` remote, the remote-tracking ref and the
 * upstream of its branch.  Both repositories use the "files" reference
 * format (forced with -c init.defaultRefFormat=files), whose loose refs are
 * plain files.  Last, BARE gets its post-receive hook (hook.c): a push
 * deploys to dev.
 *
 * Nothing is left half-made: the name is reserved by mkdir(2) (atomic), and
 * on any failure the bare repository and DIR/.git are removed again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "forge_local.h"

/* A validated request.  Strings are borrowed from the call's arguments or
 * options, except the author parts (owned). */
struct req {
	const char *name, *dir, *desc, *branch, *message;
	char *aname, *aemail;
};

/* Optional string argument KEY: *OUT is it, or DEF when absent. */
static int opt_string(json_t *args, const char *key, const char *def, const char **out,
                      char **errmsg)
{
	json_t *v = json_object_get(args, key);
	*out = def;
	if (!v || json_is_null(v))
		return PAVED_OK;
	if (!json_is_string(v) || !*json_string_value(v))
		return paved->error(errmsg, "argument '%s' must be a non-empty string", key);
	*out = json_string_value(v);
	return PAVED_OK;
}

/* Read and validate the arguments and options into R. */
static int read_request(paved_ctx *ctx, json_t *args, struct req *r, char **errmsg)
{
	static const char *const known[] = { "name", "dir", "description", "message", NULL };
	struct stat st;
	if (fl_check_keys(args, known, errmsg) || !(r->name = fl_name_arg(args, errmsg)))
		return PAVED_ERR;
	r->dir = json_string_value(json_object_get(args, "dir"));
	if (!r->dir)
		return paved->error(errmsg, "argument 'dir' (an absolute path) is required");
	if (r->dir[0] != '/')
		return paved->error(errmsg, "argument 'dir' must be an absolute path, not '%s'", r->dir);
	if (opt_string(args, "description", NULL, &r->desc, errmsg) ||
	    opt_string(args, "message", FL_DEFAULT_MESSAGE, &r->message, errmsg))
		return PAVED_ERR;
	r->branch = json_string_value(paved->option(ctx, "default_branch"));
	if (!r->branch || !*r->branch)
		r->branch = FL_DEFAULT_BRANCH;
	if (!fl_valid_branch(r->branch))
		return paved->error(errmsg, "invalid branch name '%s' in plugins.forge_local."
		                    "default_branch: use letters, digits, '.', '_', '-' and '/'",
		                    r->branch);
	const char *author = json_string_value(paved->option(ctx, "author"));
	if (!author || !*author)
		author = FL_DEFAULT_AUTHOR;
	if (fl_parse_author(author, &r->aname, &r->aemail))
		return paved->error(errmsg, "invalid author '%s' in plugins.forge_local.author: "
		                    "use \"Name <email>\"", author);
	if (stat(r->dir, &st) != 0)
		return paved->error(errmsg, "cannot use working copy %s: %s", r->dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return paved->error(errmsg, "working copy %s is not a directory", r->dir);
	char *dotgit = pc_printf("%s/.git", r->dir);
	bool has = dotgit && fl_exists(dotgit);
	free(dotgit);
	if (has)
		return paved->error(errmsg, "%s is already a git repository (it has a .git); "
		                    "the forge makes the initial commit itself", r->dir);
	return PAVED_OK;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* What create made so far, to finish or to undo. */
struct made {
	char *forge, *bare, *url, *dotgit, *sha;
	bool bare_made, git_made;
	paved_proc *bare_init;     /* NULL when not running */
};

static bool is_sha(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return s[n] == '\0' && (n == 40 || n == 64);
}

/* Write DATA to PATH (both NULL when out of memory); PAVED_ERR with *ERRMSG. */
static int put(const char *path, const char *data, char **errmsg)
{
	if (!path || !data)
		return paved->error(errmsg, "out of memory");
	if (fl_write_file(path, data, 0644) != 0)
		return paved->error(errmsg, "cannot write %s: %s", path, strerror(errno));
	return PAVED_OK;
}

/* Publish the commit of R->dir in the bare repository M->bare and point
 * the working copy at it: objects, refs and config, no process. */
static int publish(struct req *r, struct made *m, char **errmsg)
{
	char *p = NULL, *q = NULL, *text = NULL;
	int rc = PAVED_ERR;
	/* the commit just made, from the loose ref git wrote */
	if (!(p = pc_printf("%s/refs/heads/%s", m->dotgit, r->branch)))
		goto oom;
	m->sha = fl_read_line(p);
	if (!m->sha || !is_sha(m->sha)) {
		paved->error(errmsg, "cannot read the new commit from %s: %s", p,
		             m->sha ? "not a commit id" : strerror(errno));
		goto done;
	}
	free(p);
	/* BARE gets DIR's objects (immutable files: linking is what a local
	 * clone does) and the branch */
	if (!(p = pc_printf("%s/objects", m->dotgit)) || !(q = pc_printf("%s/objects", m->bare)))
		goto oom;
	if (fl_link_tree(p, q) != 0) {
		paved->error(errmsg, "cannot copy the objects of %s to %s: %s", p, q, strerror(errno));
		goto done;
	}
	free(p), free(q), q = NULL;
	p = pc_printf("%s/refs/heads/%s", m->bare, r->branch);
	text = pc_printf("%s\n", m->sha);
	if (put(p, text, errmsg))
		goto done;
	if (r->desc) {
		free(p), free(text);
		p = pc_printf("%s/description", m->bare);
		text = pc_printf("%s\n", r->desc);
		if (put(p, text, errmsg))
			goto done;
	}
	/* DIR: origin, its remote-tracking ref, and the upstream of the branch.
	 * The URL goes into the config file double-quoted and escaped. */
	free(p), free(text);
	p = NULL, text = NULL;
	if (!(p = pc_printf("%s/config", m->dotgit)))
		goto oom;
	char *quoted = malloc(2 * strlen(m->url) + 3), *o = quoted;
	if (!quoted)
		goto oom;
	*o++ = '"';
	for (const char *c = m->url; *c; c++) {
		if (*c == '"' || *c == '\\')
			*o++ = '\\', *o++ = *c;
		else if (*c == '\n' || *c == '\t')
			*o++ = '\\', *o++ = *c == '\n' ? 'n' : 't';
		else
			*o++ = *c;
	}
	*o++ = '"', *o = '\0';
	text = pc_printf("[remote \"origin\"]\n\turl = %s\n"
	                 "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
	                 "[branch \"%s\"]\n\tremote = origin\n\tmerge = refs/heads/%s\n",
	                 quoted, r->branch, r->branch);
	free(quoted);
	if (!text)
		goto oom;
	if (fl_append_file(p, text) != 0) {
		paved->error(errmsg, "cannot write %s: %s", p, strerror(errno));
		goto done;
	}
	free(p), free(text);
	p = pc_printf("%s/refs/remotes/origin/%s", m->dotgit, r->branch);
	text = pc_printf("%s\n", m->sha);
	rc = put(p, text, errmsg);
	goto done;
oom:
	paved->error(errmsg, "out of memory");
done:
	free(p);
	free(q);
	free(text);
	return rc;
}

/* Create the repositories for request R, filling M.  On failure the
 * caller undoes what M records. */
static int make_repos(paved_ctx *ctx, struct req *r, struct made *m, char **errmsg)
{
	char **env = NULL;
	int rc = PAVED_ERR;
	double t0 = now_ms();
	if (!(m->forge = fl_repo_path(ctx, NULL)) || !(m->bare = fl_repo_path(ctx, r->name)) ||
	    !(m->url = pc_printf("file://%s", m->bare)) ||
	    !(m->dotgit = pc_printf("%s/.git", r->dir)) ||
	    !(env = fl_git_env(r->aname, r->aemail))) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	if (pc_mkdir_p(m->forge, 0777) != 0) {
		paved->error(errmsg, "cannot create the forge %s: %s", m->forge, strerror(errno));
		goto done;
	}
	/* reserve the name: mkdir is atomic, so two creators cannot both win */
	if (mkdir(m->bare, 0777) != 0) {
		rc = errno == EEXIST
		     ? paved->error(errmsg, "repository '%s' already exists at %s", r->name, m->bare)
		     : paved->error(errmsg, "cannot create %s: %s", m->bare, strerror(errno));
		goto done;
	}
	m->bare_made = true;
	const char *bare_init[] = { "git", "-c", "init.defaultRefFormat=files", "init", "-q",
	                            "--bare", "--template=", "-b", r->branch, m->bare, NULL };
	if (fl_git_start(ctx, bare_init, env, &m->bare_init, errmsg))
		goto done;
	m->git_made = true;
	const char *init[] = { "git", "-c", "init.defaultRefFormat=files", "init", "-q",
	                       "--template=", "-b", r->branch, r->dir, NULL };
	const char *add[] = { "git", "-C", r->dir, "add", "-A", NULL };
	const char *commit[] = { "git", "-c", "commit.gpgsign=false", "-c", "maintenance.auto=false",
	                         "-C", r->dir, "commit", "-q", "--allow-empty", "-m", r->message,
	                         NULL };
	if (fl_git(ctx, "init", init, env, NULL, NULL, errmsg) ||
	    fl_git(ctx, "add", add, env, NULL, NULL, errmsg) ||
	    fl_git(ctx, "commit", commit, env, NULL, NULL, errmsg))
		goto done;
	paved_proc *p = m->bare_init;
	m->bare_init = NULL;
	if (fl_git_wait(ctx, "init --bare", p, errmsg) || publish(r, m, errmsg))
		goto done;
	rc = PAVED_OK;
	paved->log(ctx, PAVED_LOG_DEBUG, "forge.local: %s: 4 git processes, %.1f ms", r->name,
	           now_ms() - t0);
done:
	fl_env_free(env);
	return rc;
}

/* Undo what M records (after a failure), then release M. */
static void made_free(paved_ctx *ctx, struct made *m, bool undo)
{
	if (m->bare_init)
		fl_git_wait(ctx, "init --bare", m->bare_init, NULL);
	if (undo && m->git_made)
		pc_rmtree(m->dotgit);
	if (undo && m->bare_made)
		pc_rmtree(m->bare);
	free(m->forge);
	free(m->bare);
	free(m->url);
	free(m->dotgit);
	free(m->sha);
}

int fl_create(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	struct req r = { 0 };
	struct made m = { 0 };
	bool hooked = false;
	int rc;
	(void)data;
	rc = read_request(ctx, args, &r, errmsg);
	if (rc == PAVED_OK)
		rc = make_repos(ctx, &r, &m, errmsg);
	if (rc == PAVED_OK)
		rc = fl_install_post_receive(ctx, m.bare, r.name, r.branch, &hooked, errmsg);
	if (rc == PAVED_OK) {
		*result = json_pack("{s:s, s:s, s:s, s:s, s:b}", "url", m.url, "path", m.bare,
		                    "head", m.sha, "default_branch", r.branch, "push_deploys", hooked);
		json_t *ev = json_pack("{s:s, s:s}", "name", r.name, "url", m.url);
		if (!*result || !ev)
			rc = paved->error(errmsg, "out of memory");
		else
			paved->emit(ctx, "forge.repository.created", ev);
		json_decref(ev);
		if (rc) {
			json_decref(*result);
			*result = NULL;
		}
	}
	made_free(ctx, &m, rc != PAVED_OK);
	free(r.aname);
	free(r.aemail);
	return rc;
}
