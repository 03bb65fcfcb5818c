/*
 * proc.c -- run external programs with an argv array, never a shell.
 *
 * posix_spawnp (vfork-fast, exec errors reported at once) with stdin,
 * stdout and stderr on pipes, a log file or /dev/null; poll() collects
 * both outputs and feeds stdin without deadlock; after the deadline the
 * child's whole process group is killed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "proc.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

_Static_assert(sizeof(sig_atomic_t) == sizeof(int), "pv_interrupted is a sig_atomic_t");
volatile int pv_interrupted;

/* A program started by pv_proc_start. */
struct paved_proc {
	pid_t       pid;
	int         in, out, err;     /* our ends of its pipes, -1 when closed */
	const char *input;            /* stdin still to write (borrowed from the caller) */
	size_t      input_len, input_off;
	long long   started, deadline;/* ms, CLOCK_MONOTONIC; deadline 0: none */
	long long   stopping;         /* when it was asked to stop (interrupted), or 0 */
	unsigned    flags;
	char       *what;             /* argv[0], for messages */
	char       *log;              /* the log file, for messages */
	char       *obuf, *ebuf;
	size_t      olen, elen;
	size_t      max_capture;      /* 0: none; past it the program is killed */
	bool       *overflow;         /* set when that happened (may be NULL) */
};

/* Append N bytes to a growing buffer; false on OOM. */
static bool append(char **buf, size_t *len, const char *data, size_t n)
{
	char *g = realloc(*buf, *len + n + 1);
	if (!g)
		return false;
	memcpy(g + *len, data, n);
	*len += n;
	g[*len] = '\0';
	*buf = g;
	return true;
}

/* The environment of the child: ours with CHANGES applied ("K=V" sets,
 * "K" unsets).  A NULL-terminated array of borrowed strings; free the
 * array only.  NULL on OOM. */
static char **child_env(const char *const *changes)
{
	size_t n = 0, k = 0, c = 0;
	while (environ && environ[n])
		n++;
	while (changes && changes[c])
		c++;
	char **env = calloc(n + c + 1, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t klen = strcspn(environ[i], "=");
		bool replaced = false;
		for (size_t j = 0; j < c && !replaced; j++)
			replaced = strncmp(changes[j], environ[i], klen) == 0 &&
			           (changes[j][klen] == '=' || changes[j][klen] == '\0');
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < c; j++)
		if (strchr(changes[j], '='))
			env[k++] = (char *)changes[j];
	return env;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void proc_free(struct paved_proc *p)
{
	close_fd(&p->in), close_fd(&p->out), close_fd(&p->err);
	free(p->what), free(p->log), free(p->obuf), free(p->ebuf);
	free(p);
}

/* Start CMD: stdin from a pipe (or /dev/null), stdout and stderr to pipes,
 * to the log file, or to /dev/null; its own process group so a timeout
 * kills everything it started. */
int pv_proc_start(const struct paved_cmd *cmd, struct paved_proc **out, char **errmsg)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, logfd = -1;
	struct paved_proc *p = NULL;
	char **env = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	bool fa_ok = false, attr_ok = false;
	int rc = -1;
	*out = NULL;
	if (!cmd || !cmd->argv || !cmd->argv[0] || !*cmd->argv[0])
		return pv_seterr(errmsg, "run: empty argv"), -1;
	const char *prog = cmd->argv[0];
	struct stat st;
	if (cmd->cwd && (stat(cmd->cwd, &st) != 0 || !S_ISDIR(st.st_mode)))
		return pv_seterr(errmsg, "cannot run %s in %s: %s", prog, cmd->cwd,
		                 errno ? strerror(errno) : "not a directory"), -1;
	bool quiet = cmd->flags & PAVED_RUN_QUIET;
	if (cmd->log && !quiet &&
	    (logfd = open(cmd->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		pv_seterr(errmsg, "cannot run %s: cannot open its log %s: %s", prog, cmd->log,
		          strerror(errno));
		goto done;
	}
	bool capture = !quiet && logfd < 0;
	if (!(p = calloc(1, sizeof *p)) || !(p->what = strdup(prog)) ||
	    (cmd->log && !(p->log = strdup(cmd->log))) || !(env = child_env(cmd->env))) {
		pv_seterr(errmsg, "run %s: out of memory", prog);
		goto done;
	}
	p->in = p->out = p->err = -1;
	if ((cmd->input && pipe2(pin, O_CLOEXEC)) ||
	    (capture && (pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)))) {
		pv_seterr(errmsg, "run %s: pipe: %s", prog, strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) || posix_spawnattr_init(&attr)) {
		pv_seterr(errmsg, "run %s: out of memory", prog);
		goto done;
	}
	fa_ok = attr_ok = true;
	if (pin[0] >= 0)
		posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (capture) {
		posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
		posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	} else if (logfd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, logfd, 1);
		posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	} else {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	if (cmd->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cmd->cwd);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                         POSIX_SPAWN_SETSIGDEF);
	fflush(stdout), fflush(stderr);
	int e = posix_spawnp(&p->pid, prog, &fa, &attr, (char *const *)cmd->argv, env);
	if (e) {
		pv_seterr(errmsg, "cannot run %s%s%s: %s", prog, cmd->cwd ? " in " : "",
		          cmd->cwd ? cmd->cwd : "", strerror(e));
		goto done;
	}
	p->started = now_ms();
	p->deadline = cmd->timeout_ms > 0 ? p->started + cmd->timeout_ms : 0;
	p->flags = cmd->flags;
	p->in = pin[1], pin[1] = -1;
	p->out = pout[0], pout[0] = -1;
	p->err = perr[0], perr[0] = -1;
	if (p->in >= 0) {
		p->input = cmd->input;
		p->input_len = cmd->input_len ? cmd->input_len : strlen(cmd->input);
		fcntl(p->in, F_SETFL, O_NONBLOCK);
		if (p->input_len == 0)
			close_fd(&p->in);
	}
	append(&p->obuf, &p->olen, "", 0);
	append(&p->ebuf, &p->elen, "", 0);
	*out = p;
	p = NULL;
	rc = 0;
done:
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (attr_ok)
		posix_spawnattr_destroy(&attr);
	for (int i = 0; i < 2; i++)
		close_fd(&pin[i]), close_fd(&pout[i]), close_fd(&perr[i]);
	close_fd(&logfd);
	free(env);
	if (p)
		proc_free(p);
	return rc;
}

/* The last non-empty line of TEXT (at most 300 bytes), into BUF. */
static const char *last_line(const char *text, char *buf, size_t size)
{
	size_t n = text ? strlen(text) : 0;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	size_t b = n;
	while (b > 0 && text[b - 1] != '\n')
		b--;
	snprintf(buf, size, "%.*s", (int)(n - b > 300 ? 300 : n - b), text ? text + b : "");
	return buf;
}

int pv_proc_wait(struct paved_proc *p, struct paved_run_result *res, char **errmsg)
{
	struct paved_run_result local;
	bool timed_out = false;
	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	while (p->out >= 0 || p->err >= 0 || p->in >= 0) {
		struct pollfd fds[3] = { { p->out, POLLIN, 0 }, { p->err, POLLIN, 0 },
		                         { p->in, POLLOUT, 0 } };
		int wait = -1;
		if (p->deadline) {
			long long left = p->deadline - now_ms();
			if (left <= 0) {
				timed_out = true;
				break;
			}
			wait = (int)left;
		}
		/* paved was interrupted (SIGINT, SIGTERM): ask the program's group
		 * to stop, and after a grace period make it */
		if (pv_interrupted && !p->stopping) {
			p->stopping = now_ms();
			kill(-p->pid, SIGTERM);
		}
		if (p->stopping) {
			long long left = p->stopping + 3000 - now_ms();
			if (left <= 0) {
				kill(-p->pid, SIGKILL);
				left = 100;
			}
			wait = wait < 0 || wait > left ? (int)left : wait;
		}
		if (poll(fds, 3, wait) < 0 && errno != EINTR)
			break;
		char buf[16384];
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &p->out : &p->err;
			if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(*fd, buf, sizeof buf);
			if (n > 0)
				append(i == 0 ? &p->obuf : &p->ebuf, i == 0 ? &p->olen : &p->elen,
				       buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				close_fd(fd);
		}
		if (p->max_capture && (p->olen > p->max_capture || p->elen > p->max_capture)) {
			if (p->overflow)
				*p->overflow = true;
			break;
		}
		if (p->in >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(p->in, p->input + p->input_off, p->input_len - p->input_off);
			if (n > 0)
				p->input_off += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || p->input_off >= p->input_len)
				close_fd(&p->in);
		}
	}
	int st = 0;
	if (timed_out || (p->overflow && *p->overflow)) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
	}
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	res->timed_out = timed_out;
	res->seconds = (double)(now_ms() - p->started) / 1000.0;
	res->out = p->obuf, res->out_len = p->olen;
	res->err = p->ebuf, res->err_len = p->elen;
	p->obuf = p->ebuf = NULL;
	int rc = 0;
	if ((p->flags & PAVED_RUN_CHECK) && (timed_out || res->status != 0)) {
		char line[320];
		last_line(res->err_len ? res->err : res->out, line, sizeof line);
		if (timed_out)
			pv_seterr(errmsg, "%s timed out after %.0f s%s%s", p->what, res->seconds,
			          p->log ? "; see " : "", p->log ? p->log : "");
		else if (WIFSIGNALED(st))
			pv_seterr(errmsg, "%s was killed by signal %d%s%s", p->what, WTERMSIG(st),
			          p->log ? "; see " : "", p->log ? p->log : "");
		else
			pv_seterr(errmsg, "%s exited with status %d%s%s%s%s", p->what, res->status,
			          *line ? ": " : "", line, p->log ? "; see " : "", p->log ? p->log : "");
		rc = -1;
	}
	if (res == &local)
		pv_proc_result_free(res);
	proc_free(p);
	return rc;
}

int pv_proc_run(const struct paved_cmd *cmd, struct paved_run_result *res, char **errmsg)
{
	struct paved_proc *p;
	if (res)
		memset(res, 0, sizeof *res);
	if (pv_proc_start(cmd, &p, errmsg))
		return -1;
	return pv_proc_wait(p, res, errmsg);
}

int pv_proc_run_capped(const struct paved_cmd *cmd, size_t max_capture, bool *overflow,
                       struct paved_run_result *res, char **errmsg)
{
	struct paved_proc *p;
	*overflow = false;
	if (res)
		memset(res, 0, sizeof *res);
	if (pv_proc_start(cmd, &p, errmsg))
		return -1;
	p->max_capture = max_capture;
	p->overflow = overflow;
	return pv_proc_wait(p, res, errmsg);
}

void pv_proc_result_free(struct paved_run_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

int pv_rm_rf(const char *path, char **errmsg)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (pv_seterr(errmsg, "cannot remove %s: %s", path,
		                                        strerror(errno)), -1);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return pv_seterr(errmsg, "cannot remove %s: %s", path, strerror(errno)), -1;
	return 0;
}
