/*
 * redis.c -- the provision_redis plugin: the "local" driver of resource
 * type redis, hook provision.driver.redis.local.
 *
 * One redis-server per resource, on a free loopback port, with a
 * generated password (requirepass) and the eviction policy of the intent,
 * its configuration and data in $PAVED_HOME/provision/redis/NAME (the
 * password is in the configuration file, mode 0600, never on a command
 * line).  Destroy stops the server and removes the directory.
 */
#include <errno.h>
#include <dirent.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <paved/plugin.h>

#include "../common/prutil.h"

PAVED_PLUGIN_INIT1;

/* "eviction" of the intent -> maxmemory-policy. */
static const char *policy(const char *e)
{
	static const char *const map[][2] = {
		{ "lru", "allkeys-lru" }, { "lfu", "allkeys-lfu" }, { "random", "allkeys-random" },
		{ "ttl", "volatile-ttl" }, { "none", "noeviction" },
		{ "allkeys-lru", "allkeys-lru" }, { "allkeys-lfu", "allkeys-lfu" },
		{ "allkeys-random", "allkeys-random" }, { "volatile-lru", "volatile-lru" },
		{ "volatile-lfu", "volatile-lfu" }, { "volatile-random", "volatile-random" },
		{ "volatile-ttl", "volatile-ttl" }, { "noeviction", "noeviction" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(e, map[i][0]))
			return map[i][1];
	return NULL;
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

/* AUTH + PING on 127.0.0.1:PORT: 1 answered PONG, 0 not (yet). */
static int ping(int port, const char *pw)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok = 0;
	struct timeval tv = { 1, 0 };
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
		char *cmd = pc_printf("AUTH %s\r\nPING\r\n", pw), buf[256];
		size_t len = 0;
		if (cmd && write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd)) {
			while (len + 1 < sizeof buf) {
				ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
				if (n <= 0)
					break;
				len += (size_t)n;
				buf[len] = '\0';
				if (strstr(buf, "+PONG") || strchr(buf, '-'))
					break;
			}
			buf[len] = '\0';
			ok = strstr(buf, "+OK\r\n+PONG") != NULL;
		}
		if (cmd)
			explicit_bzero(cmd, strlen(cmd));
		free(cmd);
	}
	close(fd);
	return ok;
}

static char *res_dir(paved_ctx *ctx, const char *name)
{
	return pc_printf("%s/provision/redis/%s", paved->home(ctx), name);
}

/* Stop the server whose pid file is in DIR; 1 if one was running. */
static int stop_dir(const char *dir)
{
	char *pf = pc_printf("%s/redis.pid", dir), *t = pf ? pu_read_file(pf) : NULL;
	pid_t pid = t ? (pid_t)atol(t) : 0;
	int was = 0;
	free(t);
	if (pid > 1 && kill(pid, SIGTERM) == 0) {
		was = 1;
		for (int i = 0; i < 500 && kill(pid, 0) == 0; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	if (pf)
		unlink(pf);
	free(pf);
	return was;
}

static int create(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	const char *size = json_string_value(json_object_get(res, "size"));
	json_t *opts = json_object_get(res, "options");
	const char *ev = json_string_value(json_object_get(opts, "eviction"));
	const char *pol = policy(ev ? ev : "none");
	const char *mem = json_string_value(json_object_get(paved->option(ctx, "sizes"), size ? size : "small"));
	const char *bin = json_string_value(paved->option(ctx, "redis_server"));
	int port = (int)json_integer_value(paved->option(ctx, "port")), rc = PAVED_ERR, tries = 0;
	char pw[49], *dir = NULL, *conf = NULL, *text = NULL, *err = NULL, *qd = NULL, *qp = NULL,
	     *ql = NULL, *pidf = NULL, *logf = NULL, *url = NULL, *out = NULL, *etext = NULL;
	bool made = false;
	if (!pol)
		return paved->error(errmsg, "invalid eviction '%s': use lru, lfu, random, ttl, none or "
		                  "a Redis policy such as volatile-lru", ev);
	if (!mem)
		return paved->error(errmsg, "no memory limit for size '%s' in "
		                  "plugins.provision_redis.sizes", size ? size : "small");
	if (port > 0 && pu_port_taken(port))
		return paved->error(errmsg, "port 127.0.0.1:%d is already in use; stop what listens there "
		                  "or set plugins.provision_redis.port to 0 (a free port)", port);
	if (pu_random_hex(pw, 24, &err))
		return paved->error(errmsg, "%s", err), free(err), PAVED_ERR;
	dir = res_dir(ctx, name);
	conf = pc_printf("%s/redis.conf", dir ? dir : "");
	pidf = pc_printf("%s/redis.pid", dir ? dir : "");
	logf = pc_printf("%s/redis.log", dir ? dir : "");
	if (!dir || !conf || !pidf || !logf) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	if (access(dir, F_OK) == 0) {
		paved->error(errmsg, "%s already exists: a redis-server paved does not know about? "
		           "remove it, then try again", dir);
		goto out;
	}
	if (pu_mkdirs(dir, 0700, &err)) {
		paved->error(errmsg, "%s", err);
		goto out;
	}
	made = true;
	qd = conf_quote(dir), qp = conf_quote(pidf), ql = conf_quote(logf);
again:
	if (port <= 0 && pu_free_port(&port, &err)) {
		paved->error(errmsg, "%s", err);
		goto out;
	}
	free(text);
	text = pc_printf("# written by paved for resource %s\nbind 127.0.0.1\nport %d\n"
	                 "protected-mode yes\nrequirepass %s\nmaxmemory %s\nmaxmemory-policy %s\n"
	                 "dir %s\npidfile %s\nlogfile %s\ndaemonize yes\nsave \"\"\n"
	                 "appendonly %s\n", "(see paved resources)", port, pw, mem, pol, qd, qp, ql,
	                 json_is_true(json_object_get(opts, "persistence")) ||
	                 !strcmp(json_string_value(json_object_get(opts, "persistence")) ?
	                         json_string_value(json_object_get(opts, "persistence")) : "", "aof")
	                 ? "yes" : "no");
	if (!text || pu_write_file(conf, text, strlen(text), 0600, &err)) {
		paved->error(errmsg, "%s", err ? err : "out of memory");
		goto out;
	}
	const char *argv[] = { bin && *bin ? bin : "redis-server", conf, NULL };
	free(out), free(etext);
	int st = pu_run(argv, NULL, 10000, &out, &etext, &err);
	if (st != 0) {
		char *l = pu_last_line(*etext ? etext : out);
		if (st < 0)
			paved->error(errmsg, "cannot run redis-server: %s; install it (scripts/bootstrap "
			           "does) or set plugins.provision_redis.redis_server", err);
		else
			paved->error(errmsg, "redis-server failed: %s", l);
		free(l);
		goto out;
	}
	json_t *to = paved->option(ctx, "start_timeout");
	double deadline = pu_now_ms() + (json_is_integer(to) ? json_integer_value(to) : 5) * 1000.0;
	bool up = false;
	while (!(up = ping(port, pw)) && pu_now_ms() < deadline) {
		char *pt = pu_read_file(pidf);
		pid_t pid = pt ? (pid_t)atol(pt) : 0;
		free(pt);
		if (pid > 0 && kill(pid, 0) != 0)
			break;      /* it died (port taken since we looked?) */
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (!up) {
		stop_dir(dir);
		char *l = pu_file_last_line(logf);
		if (l && strstr(l, "Address already in use") &&
		    json_integer_value(paved->option(ctx, "port")) <= 0 && ++tries < 3) {
			free(l);
			port = 0;
			goto again;     /* lost a race for the free port: take another */
		}
		paved->error(errmsg, "redis-server did not start on 127.0.0.1:%d: %s", port,
		           l && *l ? l : "no answer to PING");
		free(l);
		goto out;
	}
	url = pc_printf("redis://default:%s@127.0.0.1:%d/0", pw, port);
	char *summary = pc_printf("redis-server on 127.0.0.1:%d (maxmemory %s, %s)", port, mem, pol);
	*result = json_pack("{ss s{si ss ss} ss}", "url", url, "state", "port", port, "dir", dir,
	                    "maxmemory_policy", pol, "summary", summary ? summary : "redis-server");
	free(summary);
	rc = PAVED_OK;
out:
	if (rc != PAVED_OK && made)
		pu_rmtree(dir, NULL);
	explicit_bzero(pw, sizeof pw);
	if (text)
		explicit_bzero(text, strlen(text));
	if (url)
		explicit_bzero(url, strlen(url));
	free(dir), free(conf), free(text), free(err), free(qd), free(qp), free(ql), free(pidf);
	free(logf), free(url), free(out), free(etext);
	return rc;
}

static int destroy(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	char *dir = res_dir(ctx, name), *err = NULL;
	if (!dir)
		return paved->error(errmsg, "out of memory");
	stop_dir(dir);
	if (pu_rmtree(dir, &err)) {
		paved->error(errmsg, "%s", err);
		free(err), free(dir);
		return PAVED_ERR;
	}
	*result = json_pack("{ss}", "destroyed", name);
	free(dir);
	return PAVED_OK;
}

static int status(paved_ctx *ctx, json_t *res, json_t **result)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	char *dir = res_dir(ctx, name), *pf = pc_printf("%s/redis.pid", dir ? dir : "");
	char *t = pf ? pu_read_file(pf) : NULL;
	pid_t pid = t ? (pid_t)atol(t) : 0;
	bool there = dir && access(dir, F_OK) == 0, up = pid > 0 && kill(pid, 0) == 0;
	*result = json_pack("{ss}", "status", up ? "running" : there ? "stopped" : "missing");
	free(dir), free(pf), free(t);
	return PAVED_OK;
}

/* Start NAME's server again from its redis.conf if it is down. */
static int start(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	int port = (int)json_integer_value(json_object_get(json_object_get(res, "state"), "port"));
	char *dir = res_dir(ctx, name), *conf = pc_printf("%s/redis.conf", dir ? dir : "");
	char *pf = pc_printf("%s/redis.pid", dir ? dir : ""), *t = pf ? pu_read_file(pf) : NULL;
	char *text = conf ? pu_read_file(conf) : NULL, *out = NULL, *etext = NULL, *err = NULL;
	pid_t pid = t ? (pid_t)atol(t) : 0;
	int rc = PAVED_ERR, n = 0;
	if (pid > 0 && kill(pid, 0) == 0) {
		rc = PAVED_OK;
		goto out;
	}
	char *pw = text ? strstr(text, "\nrequirepass ") : NULL;
	if (!pw) {
		paved->error(errmsg, "cannot start redis for '%s': %s is missing; destroy the resource "
		           "and provision it again", name, conf ? conf : "redis.conf");
		goto out;
	}
	pw += strlen("\nrequirepass ");
	pw[strcspn(pw, "\n")] = '\0';
	const char *bin = json_string_value(paved->option(ctx, "redis_server"));
	const char *argv[] = { bin && *bin ? bin : "redis-server", conf, NULL };
	int st = pu_run(argv, NULL, 10000, &out, &etext, &err);
	double deadline = pu_now_ms() + 5000;
	bool up = false;
	while (st == 0 && !(up = ping(port, pw)) && pu_now_ms() < deadline) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (!up) {
		char *logf = pc_printf("%s/redis.log", dir), *l = logf ? pu_file_last_line(logf) : NULL;
		paved->error(errmsg, "cannot start redis for '%s' on 127.0.0.1:%d: %s", name, port,
		           st < 0 ? err : l && *l ? l : "no answer to PING");
		free(logf), free(l);
		goto out;
	}
	n = 1;
	rc = PAVED_OK;
out:
	if (rc == PAVED_OK)
		*result = json_pack("{si}", "started", n);
	if (text)
		explicit_bzero(text, strlen(text));
	free(dir), free(conf), free(pf), free(t), free(text), free(out), free(etext), free(err);
	return rc;
}

static int stop_all(paved_ctx *ctx, json_t **result)
{
	char *base = pc_printf("%s/provision/redis", paved->home(ctx));
	DIR *d = base ? opendir(base) : NULL;
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *dir = pc_printf("%s/%s", base, e->d_name);
		if (dir)
			n += stop_dir(dir);
		free(dir);
	}
	if (d)
		closedir(d);
	free(base);
	*result = json_pack("{si}", "stopped", n);
	return PAVED_OK;
}

/* provision.driver.redis.local {action, resource} */
static int driver(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *action = json_string_value(json_object_get(args, "action"));
	json_t *res = json_object_get(args, "resource");
	if (action && !strcmp(action, "stop"))
		return stop_all(ctx, result);
	if (!action || !json_is_string(json_object_get(res, "name")))
		return paved->error(errmsg, "arguments {\"action\", \"resource\": {\"name\", ...}} "
		                  "are required");
	if (!strcmp(action, "create"))
		return create(ctx, res, result, errmsg);
	if (!strcmp(action, "destroy"))
		return destroy(ctx, res, result, errmsg);
	if (!strcmp(action, "status"))
		return status(ctx, res, result);
	if (!strcmp(action, "start"))
		return start(ctx, res, result, errmsg);
	return paved->error(errmsg, "unknown action '%s' (create, destroy, status, stop, start)", action);
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->provide(ctx, "provision.driver.redis.local", driver, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "redis_server", PAVED_OPT_STRING, "\"redis-server\"", "the redis-server program" },
	{ "port", PAVED_OPT_INT, "0", "port of every new server (0: a free port each)" },
	{ "start_timeout", PAVED_OPT_INT, "5", "seconds to wait for a server to answer PING" },
	{ "sizes", PAVED_OPT_OBJECT, "{\"small\": \"64mb\", \"medium\": \"256mb\", \"large\": \"1gb\"}",
	  "maxmemory per size" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision_redis, "1.0.0",
                     "one password-protected redis-server per resource: the local driver",
                     init, NULL, options);
