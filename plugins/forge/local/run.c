/*
 * run.c -- run git: an argv array through posix_spawn, never a shell.
 *
 * stdin and stdout go to /dev/null (every command is run with -q); stderr
 * is captured through a close-on-exec pipe so a failure can be reported in
 * git's own words.  Two children may run at once (the bare repository is
 * initialised while the working copy is committed): the pipes are
 * close-on-exec, so one child never holds the other's pipe open.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forge_local.h"

extern char **environ;

/* Variables that would make git act on another repository, another
 * identity or another reference format than the one we ask for. */
static const char *const stripped[] = {
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
	"GIT_PREFIX", "GIT_DEFAULT_REF_FORMAT", "GIT_AUTHOR_", "GIT_COMMITTER_", NULL
};

/* Is the environment entry E ("NAME=value") one of the stripped ones?
 * Entries ending in '_' match as prefixes. */
static bool is_stripped(const char *e)
{
	size_t n = strcspn(e, "=");
	for (size_t i = 0; stripped[i]; i++) {
		size_t k = strlen(stripped[i]);
		if (stripped[i][k - 1] == '_' ? strncmp(e, stripped[i], k) == 0
		                              : (n == k && strncmp(e, stripped[i], k) == 0))
			return true;
	}
	return false;
}

char **fl_git_env(const char *name, const char *email)
{
	size_t n = 0, k = 0;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + 5, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!is_stripped(environ[i]) && !(env[k++] = strdup(environ[i])))
			goto oom;
	if (!(env[k++] = pc_printf("GIT_AUTHOR_NAME=%s", name)) ||
	    !(env[k++] = pc_printf("GIT_AUTHOR_EMAIL=%s", email)) ||
	    !(env[k++] = pc_printf("GIT_COMMITTER_NAME=%s", name)) ||
	    !(env[k++] = pc_printf("GIT_COMMITTER_EMAIL=%s", email)))
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

char *fl_find_program(const char *prog)
{
	if (strchr(prog, '/')) {
		struct stat st;
		if (stat(prog, &st) != 0)
			return NULL;
		if (S_ISDIR(st.st_mode) || access(prog, X_OK) != 0) {
			errno = S_ISDIR(st.st_mode) ? EISDIR : errno;
			return NULL;
		}
		return strdup(prog);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *d = path; ; ) {
		size_t n = strcspn(d, ":");
		char *cand = pc_printf("%.*s/%s", (int)n, n ? d : ".", prog);
		struct stat st;
		if (!cand)
			return NULL;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!d[n])
			break;
		d += n + 1;
	}
	errno = ENOENT;
	return NULL;
}

int fl_start(char *const argv[], char **env, const char *what, struct fl_child *c,
             char **errmsg)
{
	int p[2], rc;
	posix_spawn_file_actions_t fa;
	c->pid = -1;
	c->errfd = -1;
	c->what = what;
	if (pipe2(p, O_CLOEXEC) != 0) {
		*errmsg = pc_printf("cannot run git %s: pipe: %s", what, strerror(errno));
		return -1;
	}
	rc = posix_spawn_file_actions_init(&fa);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	if (!rc)
		rc = posix_spawn(&c->pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc) {
		close(p[0]);
		c->pid = -1;
		*errmsg = pc_printf("cannot run git ('%s'): %s", argv[0], strerror(rc));
		return -1;
	}
	c->errfd = p[0];
	return 0;
}

/* The line of ERR (NUL-terminated) worth showing: the first starting with
 * "fatal:" or "error:", else the first non-empty one.  Cut in place. */
static const char *pick_line(char *err)
{
	const char *first = NULL;
	for (char *s = err; *s; ) {
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

int fl_finish(struct fl_child *c, char **errmsg)
{
	char buf[4096];
	size_t len = 0;
	int status = 0;
	if (c->pid < 0)
		return -1;
	for (;;) {  /* keep the first 4 KiB, drain the rest */
		char junk[4096];
		char *dst = len < sizeof buf - 1 ? buf + len : junk;
		size_t room = len < sizeof buf - 1 ? sizeof buf - 1 - len : sizeof junk;
		ssize_t n = read(c->errfd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst == buf + len)
			len += (size_t)n;
	}
	buf[len] = '\0';
	close(c->errfd);
	c->errfd = -1;
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	c->pid = -1;
	if (status == 0)
		return 0;
	if (!errmsg)
		return -1;
	const char *line = pick_line(buf);
	if (line)
		*errmsg = pc_printf("git %s failed: %s", c->what, line);
	else if (status != -1 && WIFEXITED(status))
		*errmsg = pc_printf("git %s failed: exit status %d", c->what, WEXITSTATUS(status));
	else if (status != -1 && WIFSIGNALED(status))
		*errmsg = pc_printf("git %s failed: killed by signal %d", c->what, WTERMSIG(status));
	else
		*errmsg = pc_printf("git %s failed: waitpid: %s", c->what, strerror(errno));
	return -1;
}

int fl_run(char *const argv[], char **env, const char *what, char **errmsg)
{
	struct fl_child c;
	if (fl_start(argv, env, what, &c, errmsg))
		return -1;
	return fl_finish(&c, errmsg);
}
