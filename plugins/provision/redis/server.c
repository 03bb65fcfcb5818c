/*
 * server.c -- one redis-server per resource, bound to 127.0.0.1 on its
 * own port, with a generated password (requirepass), its configuration
 * (mode 0600: the password is in it, never on a command line), pid file,
 * log and data in one directory:
 *
 *   as an ordinary user   $PAVED_HOME/provision/redis/NAME
 *   as root               /var/lib/paved/redis-HASH/NAME, HASH of the
 *                         home's real path; the server runs as the user of
 *                         the option "run_as" (default: redis, else nobody)
 *                         through runuser(1), never as root.  The home
 *                         records the place ($PAVED_HOME/provision/redis
 *                         links to it) and the place names the home
 *                         (pc_sysdir_*), so stop finds it from the home.
 *
 * The directory carries a file "paved-resource" naming the resource: a
 * directory paved made (or an empty one, made by a create killed a moment
 * later) is adopted by the next create; any other is refused.
 */
#include <errno.h>
#include <dirent.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rdriver.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap(long ms)
{
	struct timespec ts = { 0, ms * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

/* As root: the account redis-server runs as ("run_as", else redis, else
 * nobody), never root.  NULL with *ERRMSG. */
static const struct passwd *runner(paved_ctx *ctx, char **errmsg)
{
	const char *name = json_string_value(paved->option(ctx, "run_as"));
	const struct passwd *pw = name && *name ? getpwnam(name) : getpwnam("redis");
	if (!pw && !(name && *name))
		pw = getpwnam("nobody");
	if (!pw || pw->pw_uid == 0)
		return paved->error(errmsg, "redis-server must not run as root and there is no user "
		                    "'%s' to run it as: set plugins.provision_redis.run_as",
		                    name && *name ? name : "redis"), NULL;
	return pw;
}

char *prd_base(paved_ctx *ctx, bool create, char **errmsg)
{
	const char *home = paved->home(ctx);
	char *link = pc_printf("%s/provision/redis", home), *base = NULL;
	const struct passwd *pw;
	if (!link)
		return paved->error(errmsg, "out of memory"), NULL;
	if (geteuid() != 0) {
		if (create && pc_mkdir_p(link, 0700) != 0)
			paved->error(errmsg, "cannot create %s: %s", link, strerror(errno));
		else if (create || access(link, F_OK) == 0)
			return link;
		free(link);
		return NULL;
	}
	if (!(base = pc_sysdir_find("redis", home, link)) && create) {
		if ((pw = runner(ctx, errmsg)) && (base = pc_sysdir("redis", home)) &&
		    pc_sysdir_make(base, home, link, pw->pw_uid, pw->pw_gid) != 0) {
			paved->error(errmsg, "cannot create %s: %s", base, strerror(errno));
			free(base);
			base = NULL;
		}
	}
	free(link);
	return base;
}

/* The value of DIRECTIVE in configuration TEXT (malloc()ed), or NULL. */
static char *directive(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ')
			return strndup(l + n + 1, strcspn(l + n + 1, "\n"));
	return NULL;
}

int prd_server_init(paved_ctx *ctx, const char *name, struct prd_server *s, char **errmsg)
{
	char *base = prd_base(ctx, false, errmsg);
	memset(s, 0, sizeof *s);
	if (!base && *errmsg)
		return -1;
	if (!base)          /* none yet: where it would be, for messages */
		base = geteuid() == 0 ? pc_sysdir("redis", paved->home(ctx))
		                      : pc_printf("%s/provision/redis", paved->home(ctx));
	s->dir = base ? pc_printf("%s/%s", base, name) : NULL;
	free(base);
	if (!s->dir || !(s->conf = pc_printf("%s/redis.conf", s->dir)) ||
	    !(s->pidf = pc_printf("%s/redis.pid", s->dir)) ||
	    !(s->logf = pc_printf("%s/redis.log", s->dir)))
		return paved->error(errmsg, "out of memory"), -1;
	char *text = pc_read_file(s->conf), *port = text ? directive(text, "port") : NULL;
	s->pw = text ? directive(text, "requirepass") : NULL;
	s->port = port ? atoi(port) : 0;
	if (text)
		explicit_bzero(text, strlen(text));
	free(text), free(port);
	return 0;
}

void prd_server_free(struct prd_server *s)
{
	if (s->pw)
		explicit_bzero(s->pw, strlen(s->pw));
	free(s->dir), free(s->conf), free(s->pidf), free(s->logf), free(s->pw);
	memset(s, 0, sizeof *s);
}

/* Whether DIR has nothing in it. */
static bool empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = d != NULL;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return empty;
}

bool prd_ours(struct prd_server *s, const char *name)
{
	char *mark = pc_printf("%s/paved-resource", s->dir), *text = mark ? pc_read_file(mark) : NULL;
	bool ours = (text && !strncmp(text, name, strlen(name)) && text[strlen(name)] == '\n') ||
	            empty_dir(s->dir);
	free(mark), free(text);
	return ours;
}

int prd_server_dir(paved_ctx *ctx, struct prd_server *s, const char *name, char **errmsg)
{
	char *base = prd_base(ctx, true, errmsg), *mark = pc_printf("%s/paved-resource", s->dir);
	char *want = pc_printf("%s\n", name);
	const struct passwd *pw = geteuid() == 0 ? runner(ctx, errmsg) : NULL;
	int rc = -1;
	if (!base || !mark || !want || (geteuid() == 0 && !pw))
		goto out;
	if (access(s->dir, F_OK) == 0 && !prd_ours(s, name)) {
		paved->error(errmsg, "%s already exists and paved did not make it: a redis-server "
		             "paved does not know about? remove it, then try again", s->dir);
		goto out;
	}
	if ((mkdir(s->dir, 0700) != 0 && errno != EEXIST) ||
	    (pw && chown(s->dir, pw->pw_uid, pw->pw_gid) != 0) ||
	    pc_write_file(mark, want, strlen(want), 0600) != 0) {
		paved->error(errmsg, "cannot create %s: %s", s->dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(base), free(mark), free(want);
	return rc;
}

/* S as a double-quoted redis.conf string with every byte but [A-Za-z0-9]
 * hex-escaped, so any path is safe in the file. */
static char *conf_quote(const char *s)
{
	char *o = malloc(strlen(s) * 4 + 3), *p = o;
	if (!o)
		return NULL;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			*p++ = (char)c;
		else
			p += sprintf(p, "\\x%02x", c);
	}
	*p++ = '"';
	*p = '\0';
	return o;
}

int prd_write_conf(paved_ctx *ctx, struct prd_server *s, json_t *res, char **errmsg)
{
	char *qd = conf_quote(s->dir), *qp = conf_quote(s->pidf), *ql = conf_quote(s->logf);
	char *text = qd && qp && ql
	           ? pc_printf("# written by paved for a resource (see paved resources)\n"
	                       "bind 127.0.0.1\nport %d\nprotected-mode yes\nrequirepass %s\n"
	                       "maxmemory %s\nmaxmemory-policy %s\ndir %s\npidfile %s\nlogfile %s\n"
	                       "daemonize yes\nsave \"\"\nappendonly %s\n", s->port, s->pw,
	                       prd_maxmemory(ctx, res), prd_policy(res), qd, qp, ql,
	                       prd_aof(res) ? "yes" : "no")
	           : NULL;
	const struct passwd *pw = geteuid() == 0 ? runner(ctx, errmsg) : NULL;
	int rc = -1;
	if (!text)
		paved->error(errmsg, "out of memory");
	else if (geteuid() == 0 && !pw)
		;
	else if (pc_write_file(s->conf, text, strlen(text), 0600) != 0 ||
	         (pw && chown(s->conf, pw->pw_uid, pw->pw_gid) != 0))
		paved->error(errmsg, "cannot write %s: %s", s->conf, strerror(errno));
	else
		rc = 0;
	if (text)
		explicit_bzero(text, strlen(text));
	free(qd), free(qp), free(ql), free(text);
	return rc;
}

bool prd_up(struct prd_server *s)
{
	bool e = false;
	const char *ping[] = { "PING", NULL };
	char *r = s->pw && s->port > 0 ? prd_command(s->port, s->pw, ping, &e) : NULL;
	bool up = r && !e && !strcmp(r, "PONG");
	free(r);
	return up;
}

/* The pid in S's pid file, if that process is a redis-server. */
static pid_t server_pid(const char *pidf)
{
	char *t = pc_read_file(pidf), *cmd = NULL, *proc = NULL;
	pid_t pid = t ? (pid_t)atol(t) : 0;
	if (pid > 1 && (proc = pc_printf("/proc/%ld/cmdline", (long)pid)) &&
	    (cmd = pc_read_file(proc)) && !strstr(cmd, "redis-server"))
		pid = 0;                 /* the pid was reused by something else */
	if (pid > 1 && !cmd && access("/proc/self", F_OK) == 0)
		pid = 0;                 /* no such process */
	free(t), free(cmd), free(proc);
	return pid > 1 ? pid : 0;
}

int prd_start(paved_ctx *ctx, struct prd_server *s, char **errmsg)
{
	const char *bin = json_string_value(paved->option(ctx, "redis_server"));
	const char *v[8];
	size_t n = 0;
	char *err = NULL;
	const struct passwd *pw = NULL;
	if (geteuid() == 0) {
		if (!(pw = runner(ctx, errmsg)))
			return -1;
		v[n++] = "runuser", v[n++] = "-u", v[n++] = pw->pw_name, v[n++] = "--";
	}
	v[n++] = bin && *bin ? bin : "redis-server", v[n++] = s->conf, v[n] = NULL;
	if (paved->run(ctx, &(struct paved_cmd){ .argv = v, .timeout_ms = 10000,
	                                         .flags = PAVED_RUN_CHECK }, NULL, &err)) {
		if (strstr(err, "cannot run"))
			paved->error(errmsg, "cannot run redis-server: %s; install it (scripts/bootstrap "
			             "does) or set plugins.provision_redis.redis_server", err);
		else
			paved->error(errmsg, "redis-server failed: %s", err);
		free(err);
		return -1;
	}
	json_t *to = paved->option(ctx, "start_timeout");
	double deadline = now_ms() + (json_is_integer(to) ? json_integer_value(to) : 5) * 1000.0;
	while (!prd_up(s)) {
		pid_t pid = server_pid(s->pidf);
		if (now_ms() >= deadline || (access(s->pidf, F_OK) == 0 && pid == 0)) {
			char *log = pc_read_file(s->logf), *l = log ? pc_last_line(log) : NULL;
			prd_stop_dir(s->dir);
			paved->error(errmsg, "redis-server did not start on 127.0.0.1:%d: %s", s->port,
			             l && *l ? l : "no answer to PING");
			free(log), free(l);
			return -1;
		}
		nap(5);
	}
	return 0;
}

int prd_stop_dir(const char *dir)
{
	char *pf = pc_printf("%s/redis.pid", dir);
	pid_t pid = pf ? server_pid(pf) : 0;
	int was = 0;
	if (pid > 1 && kill(pid, SIGTERM) == 0) {
		was = 1;
		for (int i = 0; i < 500 && kill(pid, 0) == 0; i++)
			nap(10);
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	if (pf)
		unlink(pf);
	free(pf);
	return was;
}
