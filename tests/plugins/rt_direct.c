/*
 * rt_direct -- a test-only runtime driver, "direct": one process per
 * service bound straight to a stable port, no proxy.  It proves the driver
 * shape: installed beside runtime_process, chosen per env by configuration
 * (drivers.runtime = {"default": "process", "qa": "direct"}), both serving
 * at once.
 *
 * State: $PAVED_HOME/rt-direct/ENV.SERVICE.json (0600, dir 0700) holds the
 * port ensure picked and the one replica.  start runs the replica's argv
 * through paved->run as `setsid -f ARGV...` (util-linux) with PORT set and
 * the mark RT_DIRECT=<home>/ENV/SERVICE in its environment; stop, remove,
 * destroy and status find the service's processes by that mark in /proc.
 * enable and disable only record the flag: with no proxy the process is
 * always reachable.  weights, prune and logs are not implemented (the
 * front then says so).
 */
#include <paved/plugin.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

PAVED_PLUGIN_INIT1;

/* ---- small helpers ------------------------------------------------------- */

static bool valid_name(const char *s, const char *extra)
{
	size_t n = 0;
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; s[n]; n++)
		if (!islower((unsigned char)s[n]) && !isdigit((unsigned char)s[n]) && !strchr(extra, s[n]))
			return false;
	return n <= 63;
}

/* "service" and "env" of ARGS (OPTIONAL: either may be absent). */
static int names(json_t *args, const char **svc, const char **env, bool optional, char **errmsg)
{
	json_t *s = json_object_get(args, "service"), *e = json_object_get(args, "env");
	*svc = json_string_value(s);
	*env = json_string_value(e);
	if ((!optional && (!*svc || !*env)) || (s && !valid_name(*svc, "-")) ||
	    (e && !valid_name(*env, "-_")))
		return paved->error(errmsg, "direct: 'service' and 'env' must be valid names");
	return PAVED_OK;
}

static char *fmt(const char *f, const char *a, const char *b, const char *c)
{
	char *s = NULL;
	return asprintf(&s, f, a, b, c) < 0 ? NULL : s;
}

static char *state_path(paved_ctx *ctx, const char *env, const char *svc)
{
	return fmt("%s/rt-direct/%s.%s.json", paved->home(ctx), env, svc);
}

static char *mark_of(paved_ctx *ctx, const char *env, const char *svc)
{
	return fmt("RT_DIRECT=%s/%s/%s", paved->home(ctx), env, svc);
}

static json_t *load(paved_ctx *ctx, const char *env, const char *svc)
{
	char *p = state_path(ctx, env, svc);
	json_t *st = p ? json_load_file(p, 0, NULL) : NULL;
	free(p);
	return st;
}

static int save(paved_ctx *ctx, const char *env, const char *svc, json_t *st, char **errmsg)
{
	char *dir = fmt("%s/rt-direct%s%s", paved->home(ctx), "", "");
	char *p = state_path(ctx, env, svc), *tmp = p ? fmt("%s.tmp%s%s", p, "", "") : NULL;
	int rc = PAVED_ERR;
	if (dir && tmp && (mkdir(dir, 0700) == 0 || errno == EEXIST)) {
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0 && json_dumpfd(st, fd, JSON_INDENT(2)) == 0 && close(fd) == 0 &&
		    rename(tmp, p) == 0)
			rc = PAVED_OK;
		else if (fd >= 0)
			close(fd);
	}
	if (rc)
		paved->error(errmsg, "direct: cannot write %s: %s", p ? p : "?", strerror(errno));
	free(dir), free(p), free(tmp);
	return rc;
}

/* The live processes whose environment holds MARK, into PIDS. */
static int scan(const char *mark, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) && n < max) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char path[320], buf[65536], st[512];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "re");
		char *p = f && fgets(st, sizeof st, f) ? strrchr(st, ')') : NULL;
		if (f)
			fclose(f);
		if (!p || p[2] == 'Z')
			continue;
		snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		for (ssize_t off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1)
			if (strcmp(buf + off, mark) == 0) {
				pids[n++] = atoi(e->d_name);
				break;
			}
	}
	if (d)
		closedir(d);
	return n;
}

/* Stop every process of ENV/SVC: SIGTERM, SIGKILL after 3 s; how many
 * there were, or -1 with *ERRMSG when some survive. */
static int stop_procs(paved_ctx *ctx, const char *env, const char *svc, char **errmsg)
{
	char *mark = mark_of(ctx, env, svc);
	pid_t pids[64];
	int found = mark ? scan(mark, pids, 64) : 0, left = found;
	for (int sig = 0; sig < 2 && left; sig++) {
		int n = scan(mark, pids, 64);
		for (int i = 0; i < n; i++)
			kill(pids[i], sig ? SIGKILL : SIGTERM);
		for (int t = 0; t < 150 && (left = scan(mark, pids, 64)) > 0; t++)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	free(mark);
	if (left)
		return paved->error(errmsg, "direct: %d processes of %s/%s survived SIGKILL", left,
		                    env, svc), -1;
	return found;
}

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* GET PATH on 127.0.0.1:PORT: the HTTP status or -1. */
static int http_get(int port, const char *path)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), code = -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 1, 0 };
	char buf[256];
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
		int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.0\r\n\r\n", path);
		ssize_t r = write(s, buf, (size_t)n) == n ? read(s, buf, sizeof buf - 1) : -1;
		if (r > 0) {
			buf[r] = '\0';
			if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
				code = -1;
		}
	}
	if (s >= 0)
		close(s);
	return code;
}

/* ---- the verbs ------------------------------------------------------------- */

static int d_ensure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	(void)data;
	if (names(args, &svc, &env, false, errmsg))
		return PAVED_ERR;
	json_t *st = load(ctx, env, svc);
	if (!st)
		st = json_pack("{ss ss si si sn}", "service", svc, "env", env, "port", free_port(),
		               "next", 1, "replica");
	int port = (int)json_integer_value(json_object_get(st, "port"));
	int rc = save(ctx, env, svc, st, errmsg);
	json_decref(st);
	if (rc == PAVED_OK)
		*result = json_pack("{so si}", "url", json_sprintf("http://127.0.0.1:%d", port),
		                    "port", port);
	return rc;
}

static int d_start(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env, *k;
	json_t *argv = json_object_get(args, "argv"), *v;
	const char *dir = json_string_value(json_object_get(args, "dir"));
	(void)data;
	if (names(args, &svc, &env, false, errmsg))
		return PAVED_ERR;
	json_t *st = load(ctx, env, svc), *rep = json_object_get(st, "replica");
	if (!st)
		return paved->error(errmsg, "direct: %s/%s has no port: call runtime.ensure first",
		                    env, svc);
	if (json_is_object(rep)) {
		int rc = paved->error(errmsg, "direct: %s/%s runs one process per service; remove "
		                      "replica %s first", env, svc,
		                      json_string_value(json_object_get(rep, "id")));
		json_decref(st);
		return rc;
	}
	size_t n = json_array_size(argv), nv = json_object_size(json_object_get(args, "variables"));
	const char **av = calloc(n + 3, sizeof *av), **ev = calloc(nv + 6, sizeof *ev);
	char *owned[40] = { 0 };
	int no = 0, e = 5, port = (int)json_integer_value(json_object_get(st, "port"));
	long next = (long)json_integer_value(json_object_get(st, "next"));
	char id[32], portv[32], *logp = fmt("%s/rt-direct/%s.%s.log", paved->home(ctx), env, svc);
	snprintf(id, sizeof id, "d%ld", next);
	snprintf(portv, sizeof portv, "PORT=%d", port);
	av[0] = "setsid", av[1] = "-f";   /* its own session: it outlives paved */
	for (size_t i = 0; i < n; i++)
		av[i + 2] = json_string_value(json_array_get(argv, i));
	ev[0] = portv, ev[1] = "HOST=127.0.0.1";
	ev[2] = owned[no++] = mark_of(ctx, env, svc);
	ev[3] = owned[no++] = fmt("PAVED_REPLICA=%s%s%s", id, "", "");
	ev[4] = owned[no++] = fmt("PAVED_VERSION=%s%s%s",
	                          json_string_value(json_object_get(args, "version")) ?: "", "", "");
	json_object_foreach(json_object_get(args, "variables"), k, v)
		if (no < 40)
			ev[e++] = owned[no++] = fmt("%s=%s%s", k, json_string_value(v) ?: "", "");
	int rc = n ? paved->run(ctx, &(struct paved_cmd){ .argv = av, .cwd = dir, .env = ev,
	                        .log = logp, .timeout_ms = 10000, .flags = PAVED_RUN_CHECK },
	                        NULL, errmsg)
	           : paved->error(errmsg, "direct: argv is empty");
	if (rc == PAVED_OK) {
		json_object_set_new(st, "replica", json_pack("{ss sO sb}", "id", id, "version",
		                    json_object_get(args, "version"), "enabled", 0));
		json_object_set_new(st, "next", json_integer(next + 1));
		if (json_is_string(json_object_get(args, "health")))
			json_object_set(json_object_get(st, "replica"), "health",
			                json_object_get(args, "health"));
		rc = save(ctx, env, svc, st, errmsg);
	}
	if (rc == PAVED_OK)
		*result = json_pack("{ss si so}", "id", id, "port", port,
		                    "address", json_sprintf("127.0.0.1:%d", port));
	for (int i = 0; i < no; i++)
		free(owned[i]);
	free(av), free(ev), free(logp);
	json_decref(st);
	return rc;
}

/* The replica of ARGS' service whose id is ARGS' id (borrowed from *ST). */
static json_t *replica(paved_ctx *ctx, json_t *args, json_t **st, const char **svc,
                       const char **env, char **errmsg)
{
	if (names(args, svc, env, false, errmsg))
		return NULL;
	*st = load(ctx, *env, *svc);
	json_t *r = json_object_get(*st, "replica");
	const char *id = json_string_value(json_object_get(args, "id"));
	if (!json_is_object(r) || !id || strcmp(id, json_string_value(json_object_get(r, "id"))))
		return paved->error(errmsg, "direct: no replica '%s' of %s/%s", id ? id : "", *env,
		                    *svc), NULL;
	return r;
}

static int d_wait(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	json_t *st = NULL, *r = replica(ctx, args, &st, &svc, &env, errmsg);
	(void)data;
	if (!r) {
		json_decref(st);
		return PAVED_ERR;
	}
	const char *path = json_string_value(json_object_get(args, "path")) ?:
	                   json_string_value(json_object_get(r, "health")) ?: "/health";
	double timeout = json_number_value(json_object_get(args, "timeout"));
	int port = (int)json_integer_value(json_object_get(st, "port")), code = -1;
	for (int i = 0; i < (timeout > 0 ? timeout : 30) * 10 && !(code >= 200 && code < 300); i++) {
		if ((code = http_get(port, path)) < 200 || code >= 300)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	json_decref(st);
	*result = json_pack("{sb}", "healthy", code >= 200 && code < 300);
	return code >= 200 && code < 300 ? PAVED_OK :
	       paved->error(errmsg, "direct: %s/%s never answered GET %s", env, svc, path);
}

static int set_enabled(paved_ctx *ctx, json_t *args, char **errmsg, bool on)
{
	const char *svc, *env;
	json_t *st = NULL, *r = replica(ctx, args, &st, &svc, &env, errmsg);
	int rc = PAVED_ERR;
	if (r) {
		json_object_set_new(r, "enabled", json_boolean(on));
		rc = save(ctx, env, svc, st, errmsg);
	}
	json_decref(st);
	return rc;
}

static int d_enable(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)result, (void)data;
	return set_enabled(ctx, args, errmsg, true);
}

static int d_disable(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)result, (void)data;
	return set_enabled(ctx, args, errmsg, false);
}

static int d_remove(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	json_t *st = NULL, *r = replica(ctx, args, &st, &svc, &env, errmsg);
	int rc = PAVED_ERR;
	(void)result, (void)data;
	if (r && stop_procs(ctx, env, svc, errmsg) >= 0) {
		json_object_set_new(st, "replica", json_null());
		rc = save(ctx, env, svc, st, errmsg);
	}
	json_decref(st);
	return rc;
}

/* Every state file's [env, service] matching the optional filters. */
static json_t *services(paved_ctx *ctx, const char *svc, const char *env)
{
	json_t *list = json_array();
	char *dir = fmt("%s/rt-direct%s%s", paved->home(ctx), "", "");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char en[64], sv[64];
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") || sscanf(e->d_name, "%63[^.].%63[^.]", en, sv) != 2)
			continue;
		if ((!svc || !strcmp(svc, sv)) && (!env || !strcmp(env, en)))
			json_array_append_new(list, json_pack("[ss]", en, sv));
	}
	if (d)
		closedir(d);
	free(dir);
	return list;
}

static int d_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	(void)data;
	if (names(args, &svc, &env, true, errmsg))
		return PAVED_ERR;
	json_t *list = services(ctx, svc, env), *pair;
	size_t i;
	*result = json_array();
	json_array_foreach(list, i, pair) {
		const char *en = json_string_value(json_array_get(pair, 0));
		const char *sv = json_string_value(json_array_get(pair, 1));
		json_t *st = load(ctx, en, sv), *r = json_object_get(st, "replica");
		char *mark = mark_of(ctx, en, sv);
		pid_t pids[8];
		int n = mark ? scan(mark, pids, 8) : 0, port = (int)json_integer_value(json_object_get(st, "port"));
		json_t *o = json_pack("{ss ss si sb s[]}", "service", sv, "env", en, "port", port,
		                      "running", n > 0, "replicas");
		json_object_set_new(o, "url", n ? json_sprintf("http://127.0.0.1:%d", port) : json_null());
		if (json_is_object(r)) {
			int code = n ? http_get(port, json_string_value(json_object_get(r, "health")) ?: "/health") : -1;
			json_t *x = json_pack("{sO sO sO si ss}", "id", json_object_get(r, "id"),
			                      "version", json_object_get(r, "version"),
			                      "enabled", json_object_get(r, "enabled"), "port", port,
			                      "state", n ? "running" : "stopped");
			if (n)
				json_object_set_new(x, "pid", json_integer(pids[0]));
			json_object_set_new(x, "healthy", n ? json_boolean(code >= 200 && code < 300) : json_null());
			json_array_append_new(json_object_get(o, "replicas"), x);
		}
		json_array_append_new(*result, o);
		json_decref(st);
		free(mark);
	}
	json_decref(list);
	return PAVED_OK;
}

static int d_stop(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	(void)data;
	if (names(args, &svc, &env, true, errmsg))
		return PAVED_ERR;
	if (!svc && !json_is_true(json_object_get(args, "all")))
		return paved->error(errmsg, "direct: name a 'service', or pass \"all\": true");
	json_t *list = services(ctx, svc, env), *pair;
	size_t i;
	int stopped = 0;
	json_array_foreach(list, i, pair) {
		const char *en = json_string_value(json_array_get(pair, 0));
		const char *sv = json_string_value(json_array_get(pair, 1));
		json_t *st = load(ctx, en, sv);
		if (stop_procs(ctx, en, sv, errmsg) < 0) {
			json_decref(st), json_decref(list);
			return PAVED_ERR;
		}
		json_object_set_new(st, "replica", json_null());
		save(ctx, en, sv, st, errmsg);
		json_decref(st);
		stopped++;
	}
	json_decref(list);
	*result = json_pack("{si}", "stopped", stopped);
	return PAVED_OK;
}

static int d_destroy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *svc, *env;
	(void)result, (void)data;
	if (names(args, &svc, &env, false, errmsg) || stop_procs(ctx, env, svc, errmsg) < 0)
		return PAVED_ERR;
	char *p = state_path(ctx, env, svc);
	if (p)
		unlink(p);
	free(p);
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	static const struct { const char *verb; paved_fn fn; } verbs[] = {
		{ "ensure", d_ensure }, { "start", d_start }, { "wait", d_wait },
		{ "enable", d_enable }, { "disable", d_disable }, { "remove", d_remove },
		{ "status", d_status }, { "stop", d_stop }, { "destroy", d_destroy },
	};
	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
		char hook[64];
		snprintf(hook, sizeof hook, "runtime.driver.direct.%s", verbs[i].verb);
		if (paved->provide(ctx, hook, verbs[i].fn, NULL, NULL, errmsg))
			return PAVED_ERR;
	}
	return PAVED_OK;
}

PAVED_PLUGIN_DECLARE(rt_direct, "1.0.0", "test runtime driver 'direct': one process per "
                     "service on a stable port, no proxy", init, NULL, NULL);
