/*
 * backend.c -- the Loki the logs plugin ships to and queries (see logs.h).
 *
 * Either one named in configuration (plugins.logs.url: paved never starts
 * or stops it) or one paved runs for the home, made on first use and
 * started on demand, as the PostgreSQL cluster of provision_postgres is.
 * Its files, BASE:
 *   - as an ordinary user, $PAVED_HOME/logs/loki;
 *   - as root, Loki runs as the user of the option run_as (default
 *     nobody) through setpriv(1), in /var/lib/paved/loki-HASH (pc_sysdir:
 *     $PAVED_HOME/logs/loki links to it, and its file "home" names the
 *     home), owned by that user.
 * BASE holds loki.yaml (written by paved at every start), ports ("HTTP
 * GRPC", chosen free on 127.0.0.1 at the first start, or the option
 * port), data/ (chunks, index, rules) and loki.log (its output).
 *
 * Loki does not detach itself: `setsid -f` starts it in its own session
 * through paved->run (which returns at once), with PAVED_HOME in its
 * environment.  Its process is found again by its argument
 * -config.file=BASE/loki.yaml; "running" means that process is alive and
 * GET /ready answers "ready".
 *
 * The program is the option binary (default "loki" in PATH), and it must
 * be Grafana Loki: `BINARY -version` prints "loki, version X".  Debian 12
 * has no Grafana Loki: its package "loki" is an unrelated program (MCMC
 * linkage analysis on pedigrees), which the check tells apart.
 */
#include "logs.h"
#include "http.h"
#include "proc.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 16

long lb_timeout(paved_ctx *ctx)
{
	json_int_t t = json_integer_value(paved->option(ctx, "timeout_ms"));
	return t > 0 ? (long)t : 5000;
}

bool lb_ready(const char *url, long timeout_ms)
{
	struct pchttp_answer a;
	char *u = pc_printf("%s/ready", url);
	bool ok = u && lh_request("GET", u, NULL, 0, NULL, NULL, timeout_ms, &a) == 0 &&
	          a.status == 200 && a.body && !strncmp(a.body, "ready", 5);
	if (u)
		pchttp_free(&a);
	free(u);
	return ok;
}

/* ---- processes ---------------------------------------------------------- */

int lb_stop_pids(const pid_t *pids, int n, long grace_ms)
{
	int left = 0;
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	for (int round = 0; round < 2; round++) {
		long waited = 0;
		for (;;) {
			left = 0;
			for (int i = 0; i < n; i++)
				left += lp_alive(pids[i]);
			if (!left || waited >= (round ? 2000 : grace_ms))
				break;
			nanosleep(&(struct timespec){ 0, 20000000L }, NULL);
			waited += 20;
		}
		if (!left)
			break;
		for (int i = 0; i < n; i++)
			if (lp_alive(pids[i]))
				kill(pids[i], SIGKILL);
	}
	return left;
}

/* ---- where paved's Loki lives -------------------------------------------- */

struct paths { char *base, *cfg, *cfgarg, *ports, *data, *log; };

static void paths_free(struct paths *p)
{
	free(p->base), free(p->cfg), free(p->cfgarg), free(p->ports), free(p->data), free(p->log);
	memset(p, 0, sizeof *p);
}

static char *home_link(paved_ctx *ctx)
{
	return pc_printf("%s/logs/loki", paved->home(ctx));
}

/* Fill P; with EXISTING, only for a Loki that was made.  0, or -1. */
static int paths_init(paved_ctx *ctx, struct paths *p, bool existing)
{
	const char *home = paved->home(ctx);
	memset(p, 0, sizeof *p);
	if (geteuid() == 0) {
		char *link = home_link(ctx);
		p->base = link ? pc_sysdir_find("loki", home, link) : NULL;
		if (!p->base && !existing)
			p->base = pc_sysdir("loki", home);
		free(link);
	} else {
		p->base = pc_printf("%s/logs/loki", home);
		struct stat st;
		if (existing && p->base && stat(p->base, &st) != 0) {
			free(p->base);
			p->base = NULL;
		}
	}
	if (!p->base)
		return -1;
	p->cfg = pc_printf("%s/loki.yaml", p->base);
	p->cfgarg = pc_printf("-config.file=%s/loki.yaml", p->base);
	p->ports = pc_printf("%s/ports", p->base);
	p->data = pc_printf("%s/data", p->base);
	p->log = pc_printf("%s/loki.log", p->base);
	return p->cfg && p->cfgarg && p->ports && p->data && p->log ? 0 : -1;
}

/* The ports of paved's Loki, from BASE/ports; 0 when not chosen yet. */
static int read_ports(const struct paths *p, int *http, int *grpc)
{
	char *t = pc_read_file(p->ports);
	*http = *grpc = 0;
	if (t && sscanf(t, "%d %d", http, grpc) != 2)
		*http = *grpc = 0;
	free(t);
	return *http > 0 ? 0 : -1;
}

/* The user Loki runs as when paved is root. */
static const struct passwd *run_as(paved_ctx *ctx, char **errmsg)
{
	const char *name = json_string_value(paved->option(ctx, "run_as"));
	const struct passwd *pw = getpwnam(name && *name ? name : "nobody");
	if (!pw || pw->pw_uid == 0)
		paved->error(errmsg, "paved runs Loki as an unprivileged user when it is root, and "
		             "there is no user '%s' (not root) to run it as: set "
		             "plugins.logs.run_as, or name a Loki in plugins.logs.url",
		             name && *name ? name : "nobody");
	return pw && pw->pw_uid != 0 ? pw : NULL;
}

/* ---- the program ---------------------------------------------------------- */

static const char *binary(paved_ctx *ctx)
{
	const char *b = json_string_value(paved->option(ctx, "binary"));
	return b && *b ? b : "loki";
}

/* Is BIN an executable file, as a path or found in PATH?  (Looked up
 * before anything is run: the usual answer, "no", comes at no cost on
 * every runtime.start.) */
static bool installed(const char *bin)
{
	if (strchr(bin, '/'))
		return access(bin, X_OK) == 0;
	const char *path = getenv("PATH");
	char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	bool found = false;
	for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *p = pc_printf("%s/%s", dir, bin);
		found = p && access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

/* Check that the program is Grafana Loki (`BINARY -version`). */
static int check_binary(paved_ctx *ctx, char **errmsg)
{
	const char *bin = binary(ctx);
	const char *argv[] = { bin, "-version", NULL };
	struct paved_run_result res = { 0 };
	char *e = NULL;
	int rc = PAVED_OK;
	if (!installed(bin) ||
	    paved->run(ctx, &(struct paved_cmd){ .argv = argv, .timeout_ms = 10000 }, &res, &e)) {
		rc = paved->error(errmsg, "Loki is not installed: %s '%s'%s%s%s. Debian 12 has no "
		                  "Grafana Loki package (its package 'loki' is an unrelated program, "
		                  "MCMC linkage analysis): install Grafana Loki from Grafana's packages "
		                  "and set plugins.logs.binary to it, or name a running Loki in "
		                  "plugins.logs.url", e ? "cannot run" : strchr(bin, '/') ? "no program"
		                  " at" : "no program in PATH named", bin, e ? " (" : "", e ? e : "",
		                  e ? ")" : "");
		free(e);
		return rc;
	}
	const char *out = res.out && strstr(res.out, "loki, version") ? res.out
	                : res.err && strstr(res.err, "loki, version") ? res.err : NULL;
	if (!out) {
		char *said = pc_last_line(res.out && *res.out ? res.out : res.err);
		rc = paved->error(errmsg, "'%s' is not Grafana Loki: '%s -version' printed '%.120s'%s. "
		                  "Debian's package 'loki' is an unrelated program (MCMC linkage "
		                  "analysis): install Grafana Loki from Grafana's packages and set "
		                  "plugins.logs.binary to it, or name a running Loki in "
		                  "plugins.logs.url", bin, bin, said ? said : "",
		                  res.timed_out ? " and did not exit within 10 s" : "");
		free(said);
	}
	free(res.out), free(res.err);
	return rc;
}

/* Loki's configuration: one process, filesystem storage under BASE,
 * listening on 127.0.0.1 only, limits high enough for a busy laptop. */
static char *config_text(const struct paths *p, int http, int grpc)
{
	return pc_printf(
		"# written by paved (plugin logs) at every start: do not edit\n"
		"auth_enabled: false\n"
		"server:\n"
		"  http_listen_address: 127.0.0.1\n"
		"  http_listen_port: %d\n"
		"  grpc_listen_address: 127.0.0.1\n"
		"  grpc_listen_port: %d\n"
		"  log_level: warn\n"
		"common:\n"
		"  path_prefix: %s\n"
		"  storage:\n"
		"    filesystem:\n"
		"      chunks_directory: %s/chunks\n"
		"      rules_directory: %s/rules\n"
		"  replication_factor: 1\n"
		"  ring:\n"
		"    instance_addr: 127.0.0.1\n"
		"    kvstore:\n"
		"      store: inmemory\n"
		"schema_config:\n"
		"  configs:\n"
		"    - from: 2020-10-24\n"
		"      store: boltdb-shipper\n"
		"      object_store: filesystem\n"
		"      schema: v11\n"
		"      index:\n"
		"        prefix: index_\n"
		"        period: 24h\n"
		"limits_config:\n"
		"  ingestion_rate_mb: 64\n"
		"  ingestion_burst_size_mb: 128\n"
		"  per_stream_rate_limit: 64MB\n"
		"  per_stream_rate_limit_burst: 128MB\n"
		"  reject_old_samples: false\n"
		"  max_entries_limit_per_query: 5000\n"
		"analytics:\n"
		"  reporting_enabled: false\n",
		http, grpc, p->data, p->data, p->data);
}

/* Make BASE (first use): the directory, its owner, the ports. */
static int make_base(paved_ctx *ctx, struct paths *p, const struct passwd *owner, char **errmsg)
{
	char *link = home_link(ctx), *logs = pc_printf("%s/logs", paved->home(ctx));
	int rc = PAVED_OK;
	if (!link || !logs || pc_mkdir_p(logs, 0700) ||
	    (owner ? pc_sysdir_make(p->base, paved->home(ctx), link, owner->pw_uid, owner->pw_gid)
	           : pc_mkdir_p(p->base, 0700)))
		rc = paved->error(errmsg, "cannot create %s: %s", p->base, strerror(errno));
	if (!rc && (pc_mkdir_p(p->data, 0700) || (owner && chown(p->data, owner->pw_uid,
	                                                         owner->pw_gid))))
		rc = paved->error(errmsg, "cannot create %s: %s", p->data, strerror(errno));
	int http, grpc;
	if (!rc && read_ports(p, &http, &grpc) != 0) {
		json_int_t want = json_integer_value(paved->option(ctx, "port"));
		http = want > 0 ? (int)want : pc_free_port();
		grpc = pc_free_port();
		while (grpc == http && grpc > 0)
			grpc = pc_free_port();
		char *t = pc_printf("%d %d\n", http, grpc);
		if (http <= 0 || grpc <= 0 || !t || pc_write_file(p->ports, t, strlen(t), 0644))
			rc = paved->error(errmsg, "cannot choose Loki's ports in %s: %s", p->ports,
			                  strerror(errno));
		free(t);
	}
	free(link), free(logs);
	return rc;
}

/* Start paved's Loki (it is down) and wait until it is ready. */
static int start_managed(paved_ctx *ctx, struct paths *p, int http, int grpc, const char *url,
                         const struct passwd *owner, char **errmsg)
{
	char *cfg = config_text(p, http, grpc), *home = pc_printf("PAVED_HOME=%s", paved->home(ctx));
	int rc = PAVED_OK;
	if (!cfg || !home || pc_write_file(p->cfg, cfg, strlen(cfg), 0644)) {
		rc = paved->error(errmsg, "cannot write %s: %s", p->cfg, strerror(errno));
		goto out;
	}
	if (pc_port_taken(http) || pc_port_taken(grpc)) {
		rc = paved->error(errmsg, "port 127.0.0.1:%d or %d of paved's Loki is in use by "
		                  "another program; stop it, or remove %s to choose new ports", http,
		                  grpc, p->ports);
		goto out;
	}
	const char *argv[12];
	char uid[32], gid[32];
	int a = 0;
	argv[a++] = "setsid", argv[a++] = "-f";
	if (owner) {   /* setpriv execs Loki itself: no parent process to stop */
		snprintf(uid, sizeof uid, "--reuid=%u", (unsigned)owner->pw_uid);
		snprintf(gid, sizeof gid, "--regid=%u", (unsigned)owner->pw_gid);
		argv[a++] = "setpriv", argv[a++] = uid, argv[a++] = gid;
		argv[a++] = "--clear-groups", argv[a++] = "--";
	}
	argv[a++] = binary(ctx), argv[a++] = p->cfgarg, argv[a] = NULL;
	const char *env[] = { home, NULL };
	if ((rc = paved->run(ctx, &(struct paved_cmd){ .argv = argv, .env = env, .cwd = p->base,
	                     .log = p->log, .timeout_ms = 10000, .flags = PAVED_RUN_CHECK }, NULL,
	                     errmsg)))
		goto out;
	json_int_t secs = json_integer_value(paved->option(ctx, "start_timeout"));
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (lb_ready(url, 1000))
			goto out;
		pid_t pids[MAX_PIDS];
		clock_gettime(CLOCK_MONOTONIC, &now);
		double spent = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		bool gone = spent > 0.5 && lp_scan_arg(p->cfgarg, pids, MAX_PIDS) == 0;
		if (gone || spent > (double)(secs > 0 ? secs : 30)) {
			char *log = pc_read_file(p->log), *line = log ? pc_last_line(log) : NULL;
			rc = paved->error(errmsg, "Loki %s: %s (see %s)", gone ? "exited as it started"
			                  : "did not get ready in time", line && *line ? line : "no output",
			                  p->log);
			free(log), free(line);
			if (!gone) {
				int n = lp_scan_arg(p->cfgarg, pids, MAX_PIDS);
				lb_stop_pids(pids, n, 2000);
			}
			goto out;
		}
		nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
out:
	free(cfg), free(home);
	return rc;
}

int lb_url(paved_ctx *ctx, char **url, bool *managed, char **errmsg)
{
	const char *u = json_string_value(paved->option(ctx, "url"));
	struct paths p;
	int http, grpc;
	*url = NULL;
	*managed = !(u && *u);
	if (u && *u) {
		size_t n = strlen(u);
		while (n > 1 && u[n - 1] == '/')
			n--;
		*url = pc_printf("%.*s", (int)n, u);
		return *url ? PAVED_OK : paved->error(errmsg, "out of memory");
	}
	if (paths_init(ctx, &p, true) != 0 || read_ports(&p, &http, &grpc) != 0) {
		paths_free(&p);
		char *e = NULL;
		int rc = check_binary(ctx, &e) ? paved->error(errmsg, "%s", e)
		       : paved->error(errmsg, "paved's Loki was never started: 'paved loki up' "
		                      "starts it (a deploy does too)");
		free(e);
		return rc;
	}
	*url = pc_printf("http://127.0.0.1:%d", http);
	paths_free(&p);
	return *url ? PAVED_OK : paved->error(errmsg, "out of memory");
}

int lb_up(paved_ctx *ctx, char **url, bool *managed, char **errmsg)
{
	const char *u = json_string_value(paved->option(ctx, "url"));
	struct paths p = { 0 };
	const struct passwd *owner = NULL;
	int rc, http, grpc;
	*url = NULL;
	if (u && *u) {
		if ((rc = lb_url(ctx, url, managed, errmsg)))
			return rc;
		if (!lb_ready(*url, lb_timeout(ctx)))
			return paved->error(errmsg, "the Loki at %s (plugins.logs.url) does not answer "
			                    "GET /ready; start it, or fix the setting", *url);
		return PAVED_OK;
	}
	*managed = true;
	if (paths_init(ctx, &p, true) == 0 && read_ports(&p, &http, &grpc) == 0 &&
	    (*url = pc_printf("http://127.0.0.1:%d", http)) && lb_ready(*url, 1000)) {
		paths_free(&p);   /* it runs: the usual case of every runtime.start */
		return PAVED_OK;
	}
	paths_free(&p);
	free(*url);
	*url = NULL;
	if ((rc = check_binary(ctx, errmsg)))
		return rc;
	if (geteuid() == 0 && !(owner = run_as(ctx, errmsg)))
		return PAVED_ERR;
	if (paths_init(ctx, &p, false) != 0) {
		paths_free(&p);
		return paved->error(errmsg, "out of memory");
	}
	if (!(rc = make_base(ctx, &p, owner, errmsg)) && read_ports(&p, &http, &grpc) == 0) {
		if (!(*url = pc_printf("http://127.0.0.1:%d", http)))
			rc = paved->error(errmsg, "out of memory");
		else if (!lb_ready(*url, 1000)) {
			pid_t pids[MAX_PIDS];
			int n = lp_scan_arg(p.cfgarg, pids, MAX_PIDS);
			if (n)   /* alive but not ready: a Loki stuck starting; start afresh */
				lb_stop_pids(pids, n, 5000);
			rc = start_managed(ctx, &p, http, grpc, *url, owner, errmsg);
		}
	}
	paths_free(&p);
	return rc;
}

int lb_down(paved_ctx *ctx, int *stopped, char **errmsg)
{
	struct paths p;
	int rc = PAVED_OK;
	*stopped = 0;
	if (paths_init(ctx, &p, true) == 0) {
		pid_t pids[MAX_PIDS];
		int n = lp_scan_arg(p.cfgarg, pids, MAX_PIDS);
		if (lb_stop_pids(pids, n, 10000))
			rc = paved->error(errmsg, "paved's Loki (%s) survived SIGKILL", p.base);
		*stopped = n;
	}
	paths_free(&p);
	return rc;
}

json_t *lb_status(paved_ctx *ctx)
{
	char *url = NULL, *e = NULL;
	bool managed = true;
	json_t *s;
	if (lb_url(ctx, &url, &managed, &e) != PAVED_OK) {
		s = json_pack("{sb sn sb ss}", "running", 0, "url", "managed", managed, "detail", e);
		free(e);
		return s;
	}
	bool ready = lb_ready(url, lb_timeout(ctx));
	s = json_pack("{sb ss sb ss}", "running", ready, "url", url, "managed", managed, "detail",
	              ready ? "ready" : managed ? "not running: 'paved loki up' starts it"
	                    : "does not answer GET /ready");
	struct paths p;
	if (managed && paths_init(ctx, &p, true) == 0) {
		pid_t pids[MAX_PIDS];
		if (lp_scan_arg(p.cfgarg, pids, MAX_PIDS) > 0)
			json_object_set_new(s, "pid", json_integer(pids[0]));
		json_object_set_new(s, "dir", json_string(p.base));
	}
	if (managed)
		paths_free(&p);
	free(url);
	return s;
}

char *lb_config_arg(paved_ctx *ctx)
{
	struct paths p;
	char *arg = paths_init(ctx, &p, true) == 0 ? strdup(p.cfgarg) : NULL;
	paths_free(&p);
	return arg;
}
