/*
 * haproxy.c -- the one HAProxy of a home (see haproxy.h).
 */
#include "haproxy.h"
#include "files.h"
#include "net.h"
#include "procs.h"
#include "spec.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

PAVED_PLUGIN_INIT3;

#define MAX_HAPROXY 64

/* The paths of a home's HAProxy, malloc()ed together. */
struct hp {
	const char *home;
	char *dir, *cfg, *pidf, *sock, *log, *svcs, *lockf, *empty;
	int lock;
};

static void hp_free(struct hp *h)
{
	rf_unlock(h->lock);
	free(h->dir), free(h->cfg), free(h->pidf), free(h->sock), free(h->log);
	free(h->svcs), free(h->lockf), free(h->empty);
	memset(h, 0, sizeof *h);
	h->lock = -1;
}

/* Fill H for HOME; with LOCK make the dir (0700) and take its lock. */
static int hp_open(const char *home, int lock, struct hp *h, char **errmsg)
{
	memset(h, 0, sizeof *h);
	h->home = home;
	h->lock = -1;
	if (asprintf(&h->dir, "%s/runtime/haproxy", home) < 0 ||
	    asprintf(&h->cfg, "%s/haproxy.cfg", h->dir) < 0 ||
	    asprintf(&h->pidf, "%s/haproxy.pid", h->dir) < 0 ||
	    asprintf(&h->sock, "%s/admin.sock", h->dir) < 0 ||
	    asprintf(&h->log, "%s/haproxy.log", h->dir) < 0 ||
	    asprintf(&h->svcs, "%s/services.json", h->dir) < 0 ||
	    asprintf(&h->lockf, "%s/lock", h->dir) < 0 ||
	    asprintf(&h->empty, "%s/empty", h->dir) < 0)
		return paved->error(errmsg, "out of memory");
	if (!lock)
		return PAVED_OK;
	if (rf_private_dir(home, "runtime/haproxy") != 0)
		return paved->error(errmsg, "cannot make %s: %s", h->dir, strerror(errno));
	if ((h->lock = rf_lock(h->lockf, 0, 0)) < 0)
		return paved->error(errmsg, "cannot lock %s: %s", h->lockf, strerror(errno));
	return PAVED_OK;
}

static json_t *services(const struct hp *h)
{
	json_t *s = rf_read_json(h->svcs);
	return json_is_object(s) ? s : (json_decref(s), json_object());
}

static char *key_of(const char *env, const char *svc)
{
	char *k = NULL;
	return asprintf(&k, "%s/%s", env, svc) < 0 ? NULL : k;
}

int rh_port(const char *home, const char *env, const char *service)
{
	struct hp h = { .lock = -1 };
	char *key = key_of(env, service);
	char *e = NULL;
	int port = 0;
	if (key && hp_open(home, 0, &h, &e) == PAVED_OK) {
		json_t *s = services(&h);
		port = (int)json_integer_value(json_object_get(json_object_get(s, key), "port"));
		json_decref(s);
	}
	hp_free(&h);
	free(key), free(e);
	return port;
}

static pid_t live_of(const struct hp *h)
{
	FILE *f = fopen(h->pidf, "re");
	int pid = 0;
	if (f && fscanf(f, "%d", &pid) != 1)
		pid = 0;
	if (f)
		fclose(f);
	return pid > 0 && rp_alive(pid) && rp_has_arg(pid, "-f", h->cfg) ? pid : 0;
}

pid_t rh_live(const char *home)
{
	struct hp h = { .lock = -1 };
	char *e = NULL;
	pid_t pid = hp_open(home, 0, &h, &e) == PAVED_OK ? live_of(&h) : 0;
	hp_free(&h);
	free(e);
	return pid;
}

/* ---- the runtime API ------------------------------------------------- */

/* Send CMD to the admin socket; the answer in *OUT (malloc()ed). */
static int api(const struct hp *h, const char *cmd, char **out, char **errmsg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	*out = NULL;
	if (strlen(h->sock) >= sizeof a.sun_path)
		return paved->error(errmsg, "the HAProxy socket path %s is longer than %zu bytes: "
		                    "use a shorter PAVED_HOME", h->sock, sizeof a.sun_path - 1);
	strcpy(a.sun_path, h->sock);
	for (int attempt = 0; attempt < 20; attempt++) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			break;
		if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
			close(s);
			nanosleep(&(struct timespec){ 0, 50000000L }, NULL);
			continue;
		}
		size_t len = strlen(cmd), done = 0, cap = 4096, n = 0;
		while (done < len) {
			ssize_t w = write(s, cmd + done, len - done);
			if (w <= 0)
				break;
			done += (size_t)w;
		}
		if (done == len && write(s, "\n", 1) == 1) {
			char *buf = malloc(cap);
			ssize_t r;
			while (buf && (r = read(s, buf + n, cap - n - 1)) > 0) {
				n += (size_t)r;
				if (n + 1 >= cap) {
					char *g = realloc(buf, cap *= 2);
					if (!g) {
						free(buf);
						buf = NULL;
					}
					buf = g;
				}
			}
			close(s);
			if (!buf)
				return paved->error(errmsg, "out of memory");
			buf[n] = '\0';
			*out = buf;
			return PAVED_OK;
		}
		close(s);
		break;
	}
	return paved->error(errmsg, "HAProxy's runtime API at %s does not answer: %s", h->sock,
	                    strerror(errno));
}

/* Is each line of OUT, the answer to `set server` commands, a success? */
static const char *api_failed(const char *out)
{
	static char bad[200];
	for (const char *l = out; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n && strncmp(l, "no need to change", 17) && strncmp(l, "IP changed", 10) &&
		    strncmp(l, "port changed", 12)) {
			snprintf(bad, sizeof bad, "%.*s", (int)(n < 150 ? n : 150), l);
			return bad;
		}
		l = e ? e + 1 : NULL;
	}
	return NULL;
}

/* Append to F the commands that give slot SLOT of backend BE the state of
 * replica R (NULL: an empty slot, maint). */
static void slot_cmds(FILE *f, const char **sep, const char *be, int slot, json_t *r)
{
	if (r && json_is_true(json_object_get(r, "enabled"))) {
		fprintf(f, "%sset server %s/s%d addr 127.0.0.1 port %d; set server %s/s%d weight %d; "
		        "set server %s/s%d state ready", *sep, be, slot,
		        (int)json_integer_value(json_object_get(r, "port")), be, slot,
		        (int)json_integer_value(json_object_get(r, "weight")), be, slot);
	} else {
		fprintf(f, "%sset server %s/s%d state maint", *sep, be, slot);
	}
	*sep = "; ";
}

/* One batch for SPEC: the slots of the replicas in IDS, or every slot. */
static int apply_locked(const struct hp *h, json_t *spec, json_t *ids, char **errmsg)
{
	const char *env = json_string_value(json_object_get(spec, "env"));
	const char *svc = json_string_value(json_object_get(spec, "service"));
	char be[160], *line = NULL, *out = NULL;
	size_t len = 0, i;
	const char *sep = "";
	json_t *r, *id;
	snprintf(be, sizeof be, "be.%s.%s", env ? env : "", svc ? svc : "");
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return paved->error(errmsg, "out of memory");
	if (ids) {
		json_array_foreach(ids, i, id) {
			r = rs_replica(spec, json_string_value(id), NULL);
			if (r)
				slot_cmds(f, &sep, be, (int)json_integer_value(json_object_get(r, "slot")), r);
		}
	} else {
		for (int slot = 0; slot < RH_SLOTS; slot++) {
			json_t *in = NULL;
			json_array_foreach(json_object_get(spec, "replicas"), i, r)
				if (json_integer_value(json_object_get(r, "slot")) == slot)
					in = r;
			slot_cmds(f, &sep, be, slot, in);
		}
	}
	fclose(f);
	int rc = PAVED_OK;
	if (line && *line && (rc = api(h, line, &out, errmsg)) == PAVED_OK) {
		const char *bad = api_failed(out);
		if (bad)
			rc = paved->error(errmsg, "HAProxy's runtime API refused a change of %s/%s: %s",
			                  env, svc, bad);
	}
	free(line), free(out);
	return rc;
}

/* Re-apply every service's traffic state from its spec. */
static int apply_all(const struct hp *h, json_t *svcs, char **errmsg)
{
	const char *k;
	json_t *s;
	json_object_foreach(svcs, k, s) {
		const char *env = json_string_value(json_object_get(s, "env"));
		const char *svc = json_string_value(json_object_get(s, "service"));
		json_t *spec = rs_peek(h->home, env, svc);
		if (!spec)
			spec = json_pack("{ss ss s[]}", "env", env, "service", svc, "replicas");
		int rc = apply_locked(h, spec, NULL, errmsg);
		json_decref(spec);
		if (rc)
			return rc;
	}
	return PAVED_OK;
}

/* ---- the config and the process ---------------------------------------- */

/* HAProxy's built-in Prometheus exporter (issue 13; Debian's HAProxy has
 * USE_PROMEX): a frontend of its own on a loopback port recorded in
 * exporter.json ({"port": N}, 0600) so it stays put across reloads; the
 * monitoring driver `prometheus` reads that file and scrapes it.  A
 * recorded port that something else took while HAProxy was down is
 * replaced by a free one.  The only code of the monitoring work here. */
static void exporter_frontend(FILE *f, const struct hp *h)
{
	char *path = NULL;
	if (asprintf(&path, "%s/exporter.json", h->dir) < 0)
		return;
	json_t *rec = rf_read_json(path);
	int port = (int)json_integer_value(json_object_get(rec, "port"));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int s = -1, one = 1;
	if (port > 0 && port < 65536 && !live_of(h)) {   /* is it still free? */
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		a.sin_port = htons((uint16_t)port);
		if (s >= 0)
			setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0)
			port = 0;
		if (s >= 0)
			close(s);
	}
	if (port <= 0 || port >= 65536) {
		a.sin_port = 0;
		port = 0;
		if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
		    bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
		    getsockname(s, (struct sockaddr *)&a, &len) == 0)
			port = ntohs(a.sin_port);
		if (s >= 0)
			close(s);
		json_t *now = json_pack("{si}", "port", port);
		if (port > 0)
			rf_write_json(path, now);
		json_decref(now);
	}
	if (port > 0)
		fprintf(f, "\nfrontend paved-prometheus-exporter\n  bind 127.0.0.1:%d\n  no log\n"
		        "  http-request use-service prometheus-exporter if { path /metrics }\n", port);
	json_decref(rec);
	free(path);
}

/* The config for SVCS, from the specs. */
static char *config(const struct hp *h, json_t *svcs)
{
	size_t len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	/* every frontend continues or starts a W3C traceparent (traceparent.c) */
	char *tp = rh_traceparent_file(h->dir);
	fprintf(f, "# written by paved (runtime_process) under %s: do not edit\n"
	        "global\n  daemon\n  maxconn 4096\n  hard-stop-after 10s\n"
	        "  stats socket %s mode 600 level admin\n", h->lockf, h->sock);
	if (tp)
		fprintf(f, "  lua-load %s\n", tp);
	if (geteuid() == 0) {
		/* the sockets are bound before the drop: admin.sock stays root's, 0600 */
		struct passwd *pw = getpwnam("nobody");
		struct group *gr = getgrnam("nogroup");
		if (!gr)
			gr = getgrnam("nobody");
		if (pw && gr)
			fprintf(f, "  user %s\n  group %s\n", pw->pw_name, gr->gr_name);
		fprintf(f, "  chroot %s\n", h->empty);
	}
	fprintf(f, "defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n"
	        "  timeout server 30s\n  timeout http-request 10s\n  retries 3\n"
	        "  option redispatch\n  option http-server-close\n");
	const char *k;
	json_t *s;
	json_object_foreach(svcs, k, s) {
		const char *env = json_string_value(json_object_get(s, "env"));
		const char *svc = json_string_value(json_object_get(s, "service"));
		json_t *spec = rs_peek(h->home, env, svc);
		fprintf(f, "\nfrontend fe.%s.%s\n  bind 127.0.0.1:%d\n%s  default_backend be.%s.%s\n"
		        "backend be.%s.%s\n  balance roundrobin\n", env, svc,
		        (int)json_integer_value(json_object_get(s, "port")),
		        tp ? "  http-request lua.paved_traceparent\n" : "", env, svc, env, svc);
		for (int slot = 0; slot < RH_SLOTS; slot++) {
			json_t *r = NULL, *x;
			size_t i;
			json_array_foreach(json_object_get(spec, "replicas"), i, x)
				if (json_integer_value(json_object_get(x, "slot")) == slot)
					r = x;
			if (r)
				fprintf(f, "  server s%d 127.0.0.1:%d weight %d%s\n", slot,
				        (int)json_integer_value(json_object_get(r, "port")),
				        (int)json_integer_value(json_object_get(r, "weight")),
				        json_is_true(json_object_get(r, "enabled")) ? "" : " disabled");
			else
				fprintf(f, "  server s%d 127.0.0.1:9 disabled\n", slot);
		}
		json_decref(spec);
	}
	exporter_frontend(f, h);
	fclose(f);
	free(tp);
	return text;
}

/* Every HAProxy of this home: the live one and any other running with
 * our config; how many, into PIDS. */
static int ours(const struct hp *h, pid_t *pids, int max)
{
	return rp_scan_args("-f", h->cfg, pids, max);
}

/* Write, check and install the config for SVCS, then start HAProxy or
 * reload it (-sf every HAProxy of this home), then re-apply the traffic
 * state of every replica.  Holding the lock. */
static int sync_locked(paved_ctx *ctx, const struct hp *h, json_t *svcs, char **errmsg)
{
	char *text = config(h, svcs), *next = NULL;
	int rc = PAVED_ERR;
	if (!text || asprintf(&next, "%s.new", h->cfg) < 0) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	if (geteuid() == 0 && rf_private_dir(h->dir, "empty") != 0) {
		rc = paved->error(errmsg, "cannot make %s: %s", h->empty, strerror(errno));
		goto out;
	}
	if (rf_write_atomic(next, text, strlen(text)) != 0) {
		rc = paved->error(errmsg, "cannot write %s: %s", next, strerror(errno));
		goto out;
	}
	const char *check[] = { "haproxy", "-c", "-q", "-f", next, NULL };
	struct paved_run_result res;
	if (paved->run(ctx, &(struct paved_cmd){ .argv = check, .timeout_ms = 30000 }, &res, errmsg)) {
		if (strstr(*errmsg, "No such file") || strstr(*errmsg, "not found")) {
			free(*errmsg);
			*errmsg = NULL;
			rc = paved->error(errmsg, "HAProxy is missing: 'haproxy' is not in PATH; install "
			                  "the Debian package 'haproxy' (apt-get install haproxy, or "
			                  "scripts/bootstrap)");
		}
		goto out;
	}
	if (res.status != 0) {
		char *e = res.err && *res.err ? res.err : res.out;
		rc = paved->error(errmsg, "HAProxy refused the configuration paved wrote (%s): %.300s",
		                  next, e ? e : "");
		free(res.out), free(res.err);
		goto out;
	}
	free(res.out), free(res.err);
	if (rename(next, h->cfg) != 0) {
		rc = paved->error(errmsg, "cannot install %s: %s", h->cfg, strerror(errno));
		goto out;
	}
	pid_t old[MAX_HAPROXY];
	int nold = ours(h, old, MAX_HAPROXY);
	const char *argv[8 + MAX_HAPROXY];
	char pids[MAX_HAPROXY][16];
	int a = 0;
	argv[a++] = "haproxy", argv[a++] = "-f", argv[a++] = h->cfg;
	argv[a++] = "-p", argv[a++] = h->pidf;
	if (nold)
		argv[a++] = "-sf";
	for (int i = 0; i < nold; i++) {
		snprintf(pids[i], sizeof pids[i], "%d", (int)old[i]);
		argv[a++] = pids[i];
	}
	argv[a] = NULL;
	if (paved->run(ctx, &(struct paved_cmd){ .argv = argv, .cwd = h->dir, .log = h->log,
	               .timeout_ms = 30000, .flags = PAVED_RUN_CHECK }, NULL, errmsg))
		goto out;
	pid_t now = live_of(h);
	bool fresh = now != 0;
	for (int i = 0; i < nold && fresh; i++)
		fresh = now != old[i];
	if (!fresh) {
		rc = paved->error(errmsg, "HAProxy did not start: %s names no new HAProxy (see %s)",
		                  h->pidf, h->log);
		goto out;
	}
	rc = apply_all(h, svcs, errmsg);
out:
	if (next)
		unlink(next);
	free(text), free(next);
	return rc;
}

int rh_ensure(paved_ctx *ctx, const char *env, const char *service, int *port, char **errmsg)
{
	const char *home = paved->home(ctx);
	char *key = key_of(env, service);
	struct hp h = { .lock = -1 };
	int plock = -1, fresh = 0, rc;
	*port = 0;
	if (!key)
		return paved->error(errmsg, "out of memory");
	/* a new port is chosen under the ports lock, taken before the HAProxy
	 * lock and held until services.json records the port */
	if (!rh_port(home, env, service)) {
		char what[200];
		snprintf(what, sizeof what, "the front door of %s", key);
		fresh = rn_port(home, json_string_value(paved->option(ctx, "ports")), what, &plock,
		                errmsg);
		if (!fresh) {
			free(key);
			return PAVED_ERR;
		}
	}
	if ((rc = hp_open(home, 1, &h, errmsg)) == PAVED_OK) {
		json_t *svcs = services(&h);
		int have = (int)json_integer_value(json_object_get(json_object_get(svcs, key), "port"));
		bool changed = false;
		if (!have && fresh) {
			json_object_set_new(svcs, key, json_pack("{ss ss si}", "service", service,
			                                         "env", env, "port", fresh));
			if (rf_write_json(h.svcs, svcs) != 0)
				rc = paved->error(errmsg, "cannot write %s: %s", h.svcs, strerror(errno));
			have = fresh;
			changed = true;
		}
		rf_unlock(plock);
		plock = -1;
		if (rc == PAVED_OK && !have)
			rc = paved->error(errmsg, "the front door of %s was removed while it was being "
			                  "ensured; try again", key);
		if (rc == PAVED_OK && (changed || !live_of(&h)))
			rc = sync_locked(ctx, &h, svcs, errmsg);
		if (rc != PAVED_OK && changed) {
			/* nothing half-made: a new front door HAProxy did not take is dropped */
			json_object_del(svcs, key);
			rf_write_json(h.svcs, svcs);
		}
		*port = have;
		json_decref(svcs);
	}
	rf_unlock(plock);
	hp_free(&h);
	free(key);
	return rc;
}

int rh_apply(paved_ctx *ctx, json_t *spec, json_t *ids, bool start, char **errmsg)
{
	const char *env = json_string_value(json_object_get(spec, "env"));
	const char *svc = json_string_value(json_object_get(spec, "service"));
	char *key = key_of(env, svc);
	struct hp h = { .lock = -1 };
	int rc = hp_open(paved->home(ctx), 1, &h, errmsg);
	if (rc == PAVED_OK) {
		json_t *svcs = services(&h);
		if (!key || !json_object_get(svcs, key)) {
			if (start)
				rc = paved->error(errmsg, "%s/%s has no front door: call runtime.ensure "
				                  "first", env, svc);
		} else if (!live_of(&h)) {
			if (start)
				rc = sync_locked(ctx, &h, svcs, errmsg);   /* applies every spec */
		} else
			rc = apply_locked(&h, spec, ids, errmsg);
		json_decref(svcs);
	}
	hp_free(&h);
	free(key);
	return rc;
}

/* Stop every HAProxy of the home (holding the lock). */
static int stop_locked(const struct hp *h, char **errmsg)
{
	pid_t pids[MAX_HAPROXY + 1];
	int n = ours(h, pids, MAX_HAPROXY);
	if (rp_stop(pids, n, 5000, false) != 0)
		return paved->error(errmsg, "an HAProxy of %s survived SIGKILL", h->dir);
	unlink(h->pidf);
	return PAVED_OK;
}

int rh_forget(paved_ctx *ctx, const char *env, const char *service, char **errmsg)
{
	char *key = key_of(env, service);
	struct hp h = { .lock = -1 };
	int rc = hp_open(paved->home(ctx), 1, &h, errmsg);
	if (rc == PAVED_OK && key) {
		json_t *svcs = services(&h);
		if (json_object_get(svcs, key)) {
			json_object_del(svcs, key);
			if (rf_write_json(h.svcs, svcs) != 0)
				rc = paved->error(errmsg, "cannot write %s: %s", h.svcs, strerror(errno));
			else if (json_object_size(svcs) == 0)
				rc = stop_locked(&h, errmsg);
			else if (live_of(&h))
				rc = sync_locked(ctx, &h, svcs, errmsg);
		}
		json_decref(svcs);
	}
	hp_free(&h);
	free(key);
	return rc;
}

int rh_stop(paved_ctx *ctx, char **errmsg)
{
	struct hp h = { .lock = -1 };
	int rc = hp_open(paved->home(ctx), 1, &h, errmsg);
	if (rc == PAVED_OK)
		rc = stop_locked(&h, errmsg);
	hp_free(&h);
	return rc;
}
