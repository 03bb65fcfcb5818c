/*
 * git.c -- git through the host's runner (paved->run, paved->run_start):
 * an argv array, never a shell, stdin on /dev/null, output captured so a
 * failure is reported in git's own words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forge_local.h"

const char *fl_git_program(paved_ctx *ctx)
{
	const char *prog = json_string_value(paved->option(ctx, "git"));
	return prog && *prog ? prog : "git";
}

/* Variables that would make git act on another repository, another index,
 * another identity or another reference format than the one we ask for.
 * A post-receive hook runs with GIT_DIR set: the deploy it starts must not
 * inherit it. */
static const char *const stripped[] = {
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
	"GIT_PREFIX", "GIT_DEFAULT_REF_FORMAT", "GIT_QUARANTINE_PATH", "GIT_CEILING_DIRECTORIES",
	"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
	"GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", NULL
};

/* Is V one of the identity variables fl_git_env sets itself? */
static bool is_identity(const char *v)
{
	return (strncmp(v, "GIT_AUTHOR_", 11) == 0 || strncmp(v, "GIT_COMMITTER_", 14) == 0) &&
	       !strstr(v, "_DATE");
}

char **fl_git_env(const char *name, const char *email)
{
	size_t n = sizeof stripped / sizeof *stripped, k = 0;
	char **env = calloc(n + 5, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; stripped[i]; i++)
		if (!(name && is_identity(stripped[i])) && !(env[k++] = strdup(stripped[i])))
			goto oom;
	if (name && (!(env[k++] = pc_printf("GIT_AUTHOR_NAME=%s", name)) ||
	             !(env[k++] = pc_printf("GIT_AUTHOR_EMAIL=%s", email)) ||
	             !(env[k++] = pc_printf("GIT_COMMITTER_NAME=%s", name)) ||
	             !(env[k++] = pc_printf("GIT_COMMITTER_EMAIL=%s", email))))
		goto oom;
	return env;
oom:
	fl_env_free(env);
	return NULL;
}

void fl_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* The line of ERR worth showing: the first starting with "fatal:" or
 * "error:", else the first non-empty one.  Cut in place; NULL if none. */
static const char *pick_line(char *err)
{
	const char *first = NULL;
	for (char *s = err; s && *s; ) {
		char *e = s + strcspn(s, "\n");
		char *next = *e ? e + 1 : e;
		*e = '\0';
		if (e > s && e[-1] == '\r')
			e[-1] = '\0';
		if (strncmp(s, "fatal:", 6) == 0 || strncmp(s, "error:", 6) == 0)
			return s;
		if (!first && *s)
			first = s;
		s = next;
	}
	return first;
}

/* ARGV with argv[0] replaced by the git program: a new array of borrowed
 * strings (free the array only). */
static const char **with_program(paved_ctx *ctx, const char *const argv[])
{
	size_t n = 0;
	while (argv[n])
		n++;
	const char **av = calloc(n + 1, sizeof *av);
	if (!av)
		return NULL;
	for (size_t i = 0; i < n; i++)
		av[i] = argv[i];
	av[0] = fl_git_program(ctx);
	return av;
}

/* Turn a finished run into the status and message of fl_git. */
static int judge(paved_ctx *ctx, const char *what, struct paved_run_result *res, char **out,
                 char **errmsg)
{
	if (res->status == 0) {
		if (out) {
			size_t n = res->out_len;
			while (n && (res->out[n - 1] == '\n' || res->out[n - 1] == '\r'))
				res->out[--n] = '\0';
			*out = res->out;
			res->out = NULL;
		}
		return PAVED_OK;
	}
	const char *line = pick_line(res->err);
	if (line)
		paved->error(errmsg, "git %s failed: %s", what, line);
	else if (res->status > 128)
		paved->error(errmsg, "git %s failed: killed by signal %d", what, res->status - 128);
	else
		paved->error(errmsg, "git %s failed: exit status %d", what, res->status);
	paved->log(ctx, PAVED_LOG_DEBUG, "forge.local: git %s: exit %d", what, res->status);
	return PAVED_ERR;
}

/* The message of a git that could not start, in the words the README
 * promises: "cannot run git ('PROG'): REASON; install git or ...". */
static int cannot_start(paved_ctx *ctx, char *err, char **errmsg)
{
	const char *reason = err ? strrchr(err, ':') : NULL;
	paved->error(errmsg, "cannot run git ('%s'): %s; install git or set the option "
	             "plugins.forge_local.git", fl_git_program(ctx),
	             reason ? reason + 2 : "cannot start it");
	free(err);
	return PAVED_ERR;
}

int fl_git(paved_ctx *ctx, const char *what, const char *const argv[], char **env,
           const char *cwd, char **out, char **errmsg)
{
	struct paved_run_result res = { 0 };
	char **own = env ? NULL : fl_git_env(NULL, NULL), *err = NULL;
	const char **av = with_program(ctx, argv);
	int rc;
	if (!av || (!env && !own)) {
		rc = paved->error(errmsg, "out of memory");
		goto done;
	}
	struct paved_cmd cmd = { .argv = av, .cwd = cwd, .env = (const char *const *)(env ? env : own),
	                         .timeout_ms = 600000 };
	if (paved->run(ctx, &cmd, &res, &err) != PAVED_OK) {
		rc = cannot_start(ctx, err, errmsg);
		goto done;
	}
	rc = judge(ctx, what, &res, out, errmsg);
done:
	free(res.out), free(res.err);
	free(av);
	fl_env_free(own);
	return rc;
}

int fl_git_start(paved_ctx *ctx, const char *const argv[], char **env, paved_proc **proc,
                 char **errmsg)
{
	const char **av = with_program(ctx, argv);
	char *err = NULL;
	if (!av)
		return paved->error(errmsg, "out of memory");
	struct paved_cmd cmd = { .argv = av, .env = (const char *const *)env, .timeout_ms = 600000 };
	int rc = paved->run_start(ctx, &cmd, proc, &err);
	free(av);
	return rc == PAVED_OK ? PAVED_OK : cannot_start(ctx, err, errmsg);
}

int fl_git_wait(paved_ctx *ctx, const char *what, paved_proc *proc, char **errmsg)
{
	struct paved_run_result res = { 0 };
	char *err = NULL;
	int rc = paved->run_wait(ctx, proc, &res, &err);
	if (rc != PAVED_OK)
		paved->error(errmsg, "git %s failed: %s", what, err ? err : "?");
	else
		rc = judge(ctx, what, &res, NULL, errmsg);
	free(err);
	free(res.out), free(res.err);
	return rc;
}
