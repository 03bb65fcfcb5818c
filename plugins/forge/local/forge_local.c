/*
 * forge_local -- a git forge on the local disk: bare repositories under
 * $PAVED_HOME/forge/NAME.git, served by file:// URLs.
 *
 * forge.local         make a working copy a repository with one initial
 *                     commit and publish it as NAME.git (origin, tracking)
 * forge.local.delete  remove NAME.git (the undo of forge.local)
 * forge.local.list    the repositories in the forge
 *
 * git runs as an argv array (run.c), with the identity passed in the
 * environment, so a machine with no git configuration works.  Creating a
 * repository costs four git processes and no more:
 *
 *   git init --bare BARE         (started first, runs alongside the next three)
 *   git init DIR ; git -C DIR add -A ; git -C DIR commit
 *
 * then, in C, what `git clone --local` or `git push` would do for a
 * brand-new repository: the immutable object files of DIR are hard-linked
 * into BARE (copied across file systems), BARE's branch ref is written,
 * and DIR gets its `origin` remote, the remote-tracking ref and the
 * upstream of its branch.  Both repositories are created with the "files"
 * reference format (forced with -c init.defaultRefFormat=files), whose
 * loose refs are plain files.  A push would start git-receive-pack and
 * pack-objects (≈120 ms more); a local clone starts sh and git-upload-pack
 * (≈25 ms more).
 *
 * Nothing is left half-made: the name is reserved by mkdir(2) (atomic), and
 * on any failure the bare repository and DIR/.git are removed again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <paved/plugin.h>

#include "forge_local.h"

#define DEFAULT_AUTHOR  "paved <paved@localhost>"
#define DEFAULT_BRANCH  "main"
#define DEFAULT_MESSAGE "Initial commit from paved"

PAVED_PLUGIN_INIT1;

/* ---- validation -------------------------------------------------------- */

/* ^[a-z][a-z0-9-]{0,62}$: safe as a file name and in a URL. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int bad_name(char **errmsg, const char *name)
{
	return paved->error(errmsg, "invalid repository name '%s': use lowercase letters, "
	                  "digits and '-' (max 63)", name);
}

/* A conservative subset of git-check-ref-format: [A-Za-z0-9._/-], slash
 * separated components that are non-empty and do not start with '.' nor
 * end with ".lock", no "..", no leading '-', at most 200 characters. */
static bool valid_branch(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 200 || s[0] == '-' || strstr(s, ".."))
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("._/-", *c)))
			return false;
	for (const char *c = s; ; ) {
		size_t k = strcspn(c, "/");
		if (k == 0 || c[0] == '.' || (k >= 5 && strncmp(c + k - 5, ".lock", 5) == 0))
			return false;
		if (!c[k])
			break;
		c += k + 1;
	}
	return strcmp(s, "HEAD") != 0 && s[n - 1] != '.';
}

/* Split "Name <email>" into malloc()ed *NAME and *EMAIL; -1 if malformed. */
static int parse_author(const char *s, char **name, char **email)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	*name = *email = NULL;
	if (!lt || !gt || gt[1] != '\0' || strchr(gt + 1, '<') || gt == lt + 1 ||
	    strpbrk(s, "\n\r") || memchr(lt + 1, '<', (size_t)(gt - lt - 1)))
		return -1;
	const char *end = lt;
	while (end > s && end[-1] == ' ')
		end--;
	if (end == s)
		return -1;
	*name = strndup(s, (size_t)(end - s));
	*email = strndup(lt + 1, (size_t)(gt - lt - 1));
	if (!*name || !*email) {
		free(*name);
		free(*email);
		*name = *email = NULL;
		return -1;
	}
	return 0;
}

/* Reject argument keys other than the NULL-terminated list KNOWN. */
static int check_keys(json_t *args, const char *const known[], char **errmsg)
{
	const char *key;
	json_t *v;
	if (args && !json_is_object(args))
		return paved->error(errmsg, "arguments must be a JSON object");
	json_object_foreach(args, key, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], key) != 0)
			i++;
		if (!known[i])
			return paved->error(errmsg, "unknown argument '%s'", key);
	}
	return PAVED_OK;
}

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

/* ---- paths -------------------------------------------------------------- */

/* $PAVED_HOME/forge/NAME.git (or the forge itself for NAME NULL).  Caller
 * frees; NULL when out of memory. */
static char *repo_path(paved_ctx *ctx, const char *name)
{
	return name ? pc_printf("%s/forge/%s.git", paved->home(ctx), name)
	            : pc_printf("%s/forge", paved->home(ctx));
}

/* PATH as a git config value: double-quoted, with \ " newline and tab
 * escaped.  Caller frees. */
static char *config_quote(const char *path)
{
	size_t n = strlen(path);
	char *q = malloc(2 * n + 3), *o = q;
	if (!q)
		return NULL;
	*o++ = '"';
	for (const char *c = path; *c; c++) {
		if (*c == '"' || *c == '\\')
			*o++ = '\\', *o++ = *c;
		else if (*c == '\n')
			*o++ = '\\', *o++ = 'n';
		else if (*c == '\t')
			*o++ = '\\', *o++ = 't';
		else
			*o++ = *c;
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

static bool is_sha(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return s[n] == '\0' && (n == 40 || n == 64);
}

/* ---- forge.local ------------------------------------------------------- */

/* A validated forge.local request.  Strings are borrowed from the call's
 * arguments or options, except the author parts (owned). */
struct req {
	const char *name, *dir, *desc, *branch, *message;
	char *git;      /* the git program, resolved in $PATH (owned) */
	char *aname, *aemail;
};

/* Read and validate the arguments of forge.local into R. */
static int read_request(paved_ctx *ctx, json_t *args, struct req *r, char **errmsg)
{
	static const char *const known[] = { "name", "dir", "description", "branch",
	                                     "message", "author", NULL };
	struct stat st;
	const char *author;
	if (check_keys(args, known, errmsg))
		return PAVED_ERR;
	r->name = json_string_value(json_object_get(args, "name"));
	r->dir = json_string_value(json_object_get(args, "dir"));
	if (!r->name)
		return paved->error(errmsg, "argument 'name' (a string) is required");
	if (!valid_name(r->name))
		return bad_name(errmsg, r->name);
	if (!r->dir)
		return paved->error(errmsg, "argument 'dir' (an absolute path) is required");
	if (r->dir[0] != '/')
		return paved->error(errmsg, "argument 'dir' must be an absolute path, not '%s'", r->dir);
	if (opt_string(args, "description", NULL, &r->desc, errmsg) ||
	    opt_string(args, "branch", DEFAULT_BRANCH, &r->branch, errmsg) ||
	    opt_string(args, "message", DEFAULT_MESSAGE, &r->message, errmsg) ||
	    opt_string(args, "author", json_string_value(paved->option(ctx, "author")), &author,
	               errmsg))
		return PAVED_ERR;
	if (!valid_branch(r->branch))
		return paved->error(errmsg, "invalid branch name '%s': use letters, digits, '.', "
		                  "'_', '-' and '/'", r->branch);
	if (!author || !*author)
		author = DEFAULT_AUTHOR;
	if (parse_author(author, &r->aname, &r->aemail))
		return paved->error(errmsg, "invalid author '%s': use \"Name <email>\"", author);
	const char *prog = json_string_value(paved->option(ctx, "git"));
	if (!prog || !*prog)
		prog = "git";
	if (!(r->git = fl_find_program(prog)))
		return paved->error(errmsg, "cannot run git ('%s'): %s; install git or set the "
		                  "option plugins.forge_local.git", prog, strerror(errno));
	if (stat(r->dir, &st) != 0)
		return paved->error(errmsg, "cannot use working copy %s: %s", r->dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return paved->error(errmsg, "working copy %s is not a directory", r->dir);
	char *dotgit = pc_printf("%s/.git", r->dir);
	bool has = dotgit && fl_exists(dotgit);
	free(dotgit);
	if (has)
		return paved->error(errmsg, "%s is already a git repository (it has a .git); "
		                  "forge.local makes the initial commit itself", r->dir);
	return PAVED_OK;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Run git ARGV to completion; *ERRMSG in git's words on failure. */
static int git(paved_ctx *ctx, char **env, const char *what, char *const argv[], char **errmsg)
{
	char *err = NULL;
	double t0 = now_ms();
	int rc = fl_run(argv, env, what, &err);
	paved->log(ctx, PAVED_LOG_DEBUG, "forge.local: git %s: %.1f ms", what, now_ms() - t0);
	if (rc)
		paved->error(errmsg, "%s", err ? err : "out of memory");
	free(err);
	return rc ? PAVED_ERR : PAVED_OK;
}

/* What forge.local made so far, to finish or to undo. */
struct made {
	char *forge, *bare, *url, *dotgit, *sha;
	bool bare_made, git_made;
	struct fl_child bare_init;     /* pid -1 when not running */
};

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
	if (!(p = pc_printf("%s/objects", m->dotgit)) ||
	    !(q = pc_printf("%s/objects", m->bare)))
		goto oom;
	if (fl_link_tree(p, q) != 0) {
		paved->error(errmsg, "cannot copy the objects of %s to %s: %s", p, q, strerror(errno));
		goto done;
	}
	free(p), free(q), q = NULL;
	if (!(p = pc_printf("%s/refs/heads/%s", m->bare, r->branch)) ||
	    !(text = pc_printf("%s\n", m->sha)))
		goto oom;
	if (fl_write_file(p, text) != 0) {
		paved->error(errmsg, "cannot write %s: %s", p, strerror(errno));
		goto done;
	}
	free(p);
	if (r->desc) {
		free(text);
		if (!(p = pc_printf("%s/description", m->bare)) ||
		    !(text = pc_printf("%s\n", r->desc)))
			goto oom;
		if (fl_write_file(p, text) != 0) {
			paved->error(errmsg, "cannot write %s: %s", p, strerror(errno));
			goto done;
		}
		free(p);
	}
	/* DIR: origin, its remote-tracking ref, and the upstream of the branch */
	free(text);
	if (!(q = config_quote(m->url)) || !(p = pc_printf("%s/config", m->dotgit)) ||
	    !(text = pc_printf("[remote \"origin\"]\n\turl = %s\n"
	                         "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
	                         "[branch \"%s\"]\n\tremote = origin\n\tmerge = refs/heads/%s\n",
	                         q, r->branch, r->branch)))
		goto oom;
	if (fl_append_file(p, text) != 0) {
		paved->error(errmsg, "cannot write %s: %s", p, strerror(errno));
		goto done;
	}
	free(p);
	free(text);
	if (!(p = pc_printf("%s/refs/remotes/origin/%s", m->dotgit, r->branch)) ||
	    !(text = pc_printf("%s\n", m->sha)))
		goto oom;
	if (fl_write_file(p, text) != 0) {
		paved->error(errmsg, "cannot write %s: %s", p, strerror(errno));
		goto done;
	}
	rc = PAVED_OK;
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
	char *err = NULL;
	int rc = PAVED_ERR;
	double t0 = now_ms();
	if (!(m->forge = repo_path(ctx, NULL)) || !(m->bare = repo_path(ctx, r->name)) ||
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
	char *const bare_init[] = { r->git, "-c", "init.defaultRefFormat=files", "init",
	                            "-q", "--bare", "--template=", "-b", (char *)r->branch,
	                            m->bare, NULL };
	if (fl_start(bare_init, env, "init --bare", &m->bare_init, &err)) {
		paved->error(errmsg, "%s", err ? err : "out of memory");
		goto done;
	}
	m->git_made = true;
	char *const init[] = { r->git, "-c", "init.defaultRefFormat=files", "init", "-q",
	                       "--template=", "-b", (char *)r->branch, (char *)r->dir, NULL };
	char *const add[] = { r->git, "-C", (char *)r->dir, "add", "-A", NULL };
	char *const commit[] = { r->git, "-c", "commit.gpgsign=false",
	                         "-c", "maintenance.auto=false", "-C", (char *)r->dir,
	                         "commit", "-q", "--allow-empty", "-m", (char *)r->message, NULL };
	if (git(ctx, env, "init", init, errmsg) || git(ctx, env, "add", add, errmsg) ||
	    git(ctx, env, "commit", commit, errmsg))
		goto done;
	if (fl_finish(&m->bare_init, &err)) {
		paved->error(errmsg, "%s", err ? err : "out of memory");
		goto done;
	}
	rc = publish(r, m, errmsg);
	paved->log(ctx, PAVED_LOG_DEBUG, "forge.local: %s: 4 git processes, %.1f ms", r->name,
	         now_ms() - t0);
done:
	free(err);
	fl_env_free(env);
	return rc;
}

/* Undo what M records (after a failure), then release M. */
static void made_free(struct made *m, bool undo)
{
	if (m->bare_init.pid > 0)
		fl_finish(&m->bare_init, NULL);
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

/* forge.local: see the file comment and README.md. */
static int forge_create(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                        void *data)
{
	struct req r = { 0 };
	struct made m = { .bare_init = { .pid = -1, .errfd = -1 } };
	int rc;
	(void)data;
	rc = read_request(ctx, args, &r, errmsg);
	if (rc == PAVED_OK)
		rc = make_repos(ctx, &r, &m, errmsg);
	if (rc == PAVED_OK) {
		*result = json_pack("{s:s, s:s, s:s, s:s}", "url", m.url, "path", m.bare,
		                    "commit", m.sha, "branch", r.branch);
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
	made_free(&m, rc != PAVED_OK);
	free(r.git);
	free(r.aname);
	free(r.aemail);
	return rc;
}

/* ---- forge.local.delete ------------------------------------------------ */

/* forge.local.delete {"name"}: remove NAME.git.  It is first renamed to a
 * hidden name, so a half-removed repository never shows under its name. */
static int forge_delete(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                        void *data)
{
	static const char *const known[] = { "name", NULL };
	const char *name = json_string_value(json_object_get(args, "name"));
	char *path = NULL, *url = NULL, *tmp = NULL;
	struct stat st;
	int rc = PAVED_ERR;
	(void)data;
	if (check_keys(args, known, errmsg))
		return PAVED_ERR;
	if (!name)
		return paved->error(errmsg, "argument 'name' (a string) is required");
	if (!valid_name(name))
		return bad_name(errmsg, name);
	if (!(path = repo_path(ctx, name)) || !(url = pc_printf("file://%s", path)) ||
	    !(tmp = pc_printf("%s/forge/.%s.git.deleting-%ld", paved->home(ctx), name,
	                        (long)getpid()))) {
		rc = paved->error(errmsg, "out of memory");
		goto done;
	}
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			paved->error(errmsg, "no repository '%s'", name);
		else
			paved->error(errmsg, "cannot use %s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		paved->error(errmsg, "%s is not a repository directory; remove it by hand", path);
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
	*result = json_pack("{s:s}", "deleted", path);
	if (!*result || !ev) {
		json_decref(ev);
		rc = paved->error(errmsg, "out of memory");
		goto done;
	}
	paved->emit(ctx, "forge.repository.deleted", ev);
	json_decref(ev);
	rc = PAVED_OK;
done:
	free(path);
	free(url);
	free(tmp);
	return rc;
}

/* ---- forge.local.list -------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* forge.local.list {}: [{name, url, path}] sorted by name. */
static int forge_list(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                      void *data)
{
	static const char *const known[] = { NULL };
	char *forge = NULL, **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = NULL;
	struct dirent *de;
	int rc = PAVED_ERR;
	(void)data;
	if (check_keys(args, known, errmsg))
		return PAVED_ERR;
	if (!(forge = repo_path(ctx, NULL)) || !(*result = json_array()))
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
		if (!valid_name(nm)) {
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
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		char *path = pc_printf("%s/%s.git", forge, names[i]);
		struct stat st;
		if (!path)
			goto oom;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		    json_array_append_new(*result, json_pack("{s:s, s:s+, s:s}", "name", names[i],
		                                             "url", "file://", path, "path", path))) {
			free(path);
			goto oom;
		}
		free(path);
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

/* ---- the plugin ----------------------------------------------------------- */

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	if (paved->provide(ctx, "forge.local", forge_create, NULL, NULL, errmsg) ||
	    paved->provide(ctx, "forge.local.delete", forge_delete, NULL, NULL, errmsg) ||
	    paved->provide(ctx, "forge.local.list", forge_list, NULL, NULL, errmsg))
		return PAVED_ERR;
	return PAVED_OK;
}

static const struct paved_option options[] = {
	{ "git", PAVED_OPT_STRING, "\"git\"",
	  "the git program: a name looked up in PATH, or a path" },
	{ "author", PAVED_OPT_STRING, "\"" DEFAULT_AUTHOR "\"",
	  "author and committer of initial commits, \"Name <email>\" (the call's "
	  "'author' argument overrides it)" },
	{ NULL, 0, NULL, NULL }
};

PAVED_PLUGIN_DECLARE(forge_local, "1.0.0",
                     "a local git forge: bare repositories in $PAVED_HOME/forge",
                     init, NULL, options);
