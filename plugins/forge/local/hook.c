/*
 * hook.c -- the hooks git runs in a forge repository.
 *
 * post-receive (push to deploy): a push to the default branch starts
 *
 *     PAVED --home HOME deploy NAME --env dev --version SHA --trigger push
 *
 * in the background, its output appended to HOME/logs/push/NAME.log, and
 * tells the pusher so ("remote: paved: deploying ..."); the push returns at
 * once.  The deploy itself decides whether to go on (deploy.auto in the
 * pushed platform.yaml, a later push winning): the hook only hands over.
 * The script is written when the repository is created, with the absolute
 * paths of the paved binary and of PAVED_HOME in single quotes.  It is a
 * shell script because git runs hooks as programs; every value in it is
 * either quoted or checked (NAME is [a-z0-9-], the sha [0-9a-f]).
 *
 * pre-receive (archived): refuses every push.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forge_local.h"

/* S in single quotes for sh ('it'\''s'); caller frees. */
static char *sh_quote(const char *s)
{
	size_t n = 3;
	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	char *q = malloc(n), *o = q;
	if (!q)
		return NULL;
	*o++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'')
			memcpy(o, "'\\''", 4), o += 4;
		else
			*o++ = *c;
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

/* The paved binary the hook runs: the option "paved", else this process's
 * executable when it is paved (not, say, a test program that loaded the
 * plugin).  malloc()ed, or NULL when unknown. */
static char *paved_binary(paved_ctx *ctx)
{
	const char *opt = json_string_value(paved->option(ctx, "paved"));
	if (opt && *opt)
		return opt[0] == '/' ? strdup(opt) : NULL;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	const char *base = strrchr(exe, '/');
	return base && strcmp(base + 1, "paved") == 0 ? strdup(exe) : NULL;
}

static const char post_receive[] =
	"#!/bin/sh\n"
	"# post-receive, written by paved (plugin forge_local) when %s was created:\n"
	"# a push to %s deploys the pushed commit to dev in the background (the\n"
	"# push returns at once; the deploy's output goes to the log below).\n"
	"# deploy.auto: false in the pushed platform.yaml turns it off; so does\n"
	"# removing this file.\n"
	"paved=%s\n"
	"home=%s\n"
	"log=\"$home/logs/push/%s.log\"\n"
	"unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_QUARANTINE_PATH \\\n"
	"\tGIT_ALTERNATE_OBJECT_DIRECTORIES GIT_COMMON_DIR GIT_PUSH_OPTION_COUNT\n"
	"while read -r old new ref; do\n"
	"\t[ \"$ref\" = refs/heads/%s ] || continue\n"
	"\tcase \"$new\" in\n"
	"\t'' | *[!0-9a-f]* | 0000000000000000000000000000000000000000) continue ;;\n"
	"\tesac\n"
	"\tmkdir -p \"$home/logs/push\" || continue\n"
	"\techo \"$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ) push of $new to $ref: deploying to dev\" >>\"$log\"\n"
	"\tnohup \"$paved\" --home \"$home\" deploy %s --env dev --version \"$new\" --trigger push \\\n"
	"\t\t</dev/null >>\"$log\" 2>&1 &\n"
	"\techo \"paved: deploying $new to dev in the background (log: $log)\"\n"
	"done\n"
	"exit 0\n";

int fl_install_post_receive(paved_ctx *ctx, const char *bare, const char *name,
                            const char *branch, bool *written, char **errmsg)
{
	char *bin = paved_binary(ctx), *qbin = NULL, *qhome = NULL, *text = NULL, *path = NULL;
	int rc = PAVED_ERR;
	*written = false;
	if (!bin) {
		paved->log(ctx, PAVED_LOG_INFO, "forge.local: %s: no post-receive hook (this is not "
		           "the paved binary; set plugins.forge_local.paved)", name);
		return PAVED_OK;
	}
	if (!(qbin = sh_quote(bin)) || !(qhome = sh_quote(paved->home(ctx))) ||
	    !(path = pc_printf("%s/hooks/post-receive", bare)) ||
	    !(text = pc_printf(post_receive, name, branch, qbin, qhome, name, branch, name))) {
		paved->error(errmsg, "out of memory");
		goto done;
	}
	if (fl_write_file(path, text, 0755) != 0) {
		paved->error(errmsg, "cannot write the post-receive hook %s: %s", path, strerror(errno));
		goto done;
	}
	*written = true;
	rc = PAVED_OK;
done:
	free(bin), free(qbin), free(qhome), free(text), free(path);
	return rc;
}

int fl_install_archived(const char *bare, const char *name)
{
	char *post = pc_printf("%s/hooks/post-receive", bare);
	char *pre = pc_printf("%s/hooks/pre-receive", bare);
	char *text = pc_printf("#!/bin/sh\n# written by paved when %s was archived\n"
	                       "echo \"repository %s is archived (read-only)\" >&2\nexit 1\n",
	                       name, name);
	int rc = -1;
	if (post && pre && text && (unlink(post) == 0 || errno == ENOENT))
		rc = fl_write_file(pre, text, 0555);
	else if (!post || !pre || !text)
		errno = ENOMEM;
	free(post), free(pre), free(text);
	return rc;
}
