/*
 * backend.c -- where the metrics backend lives and what it reads (see
 * pm.h; starting and stopping it is control.c).
 *
 * The monitoring directory (MON, $PAVED_HOME/monitoring) is the driver's:
 * rules/, targets/, services/, dashboards/, runbooks/, platform/ and a
 * prometheus.yml for a Prometheus of your own (plugins.prometheus.url).
 * The embedded Prometheus has a directory of its own, SRV =
 * $PAVED_HOME/prometheus (as root a link to /var/lib/paved/prometheus-HASH,
 * owned by the unprivileged user it runs as, who cannot enter the home):
 *
 *   etc/prometheus.yml   its configuration (loopback ports, these paths)
 *   etc/rules, etc/targets, etc/platform
 *                        copies of MON's, made by pmb_sync at every change
 *   textfile/            *.prom files paved-metricsd serves as the job "paved"
 *                        (the sink sink_prometheus writes paved.prom)
 *   data/                the TSDB
 *   metricsd.json        how paved-metricsd runs Prometheus (ports, argv)
 *   metricsd.pid, metricsd.lock, metricsd.log, prometheus.pid, prometheus.log
 *   lock                 taken by paved while it starts or stops them
 *
 * So the data never churns MON, and Prometheus reads nothing in the home.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pm.h"

int pmb_open(paved_ctx *ctx, struct pmb *b, char **errmsg)
{
	const char *url = json_string_value(paved->option(ctx, "url"));
	memset(b, 0, sizeof *b);
	b->home = strdup(paved->home(ctx));
	b->mon = pmf_dir(ctx);
	b->srv = pc_printf("%s/prometheus", paved->home(ctx));
	if (!b->home || !b->mon || !b->srv)
		return paved->error(errmsg, "out of memory");
	if (url && *url) {
		b->url = strdup(url);
		size_t n = b->url ? strlen(b->url) : 0;
		while (n > 0 && b->url[n - 1] == '/')
			b->url[--n] = '\0';
		return PAVED_OK;
	}
	b->managed = true;
	b->real = pmb_find_real(b);
	json_t *cfg = b->real ? pmb_read_json(b->real, "metricsd.json") : NULL;
	b->port = (int)json_integer_value(json_object_get(cfg, "prometheus_port"));
	b->exporter_port = (int)json_integer_value(json_object_get(cfg, "exporter_port"));
	if (b->port > 0)
		b->url = pc_printf("http://127.0.0.1:%d", b->port);
	json_decref(cfg);
	return PAVED_OK;
}

void pmb_close(struct pmb *b)
{
	free(b->home), free(b->mon), free(b->srv), free(b->real), free(b->url);
	memset(b, 0, sizeof *b);
}

char *pmb_find_real(const struct pmb *b)
{
	char real[PATH_MAX];
	struct stat st;
	if (geteuid() == 0)
		return pc_sysdir_find("prometheus", b->home, b->srv);
	if (stat(b->srv, &st) == 0 && S_ISDIR(st.st_mode) && realpath(b->srv, real))
		return strdup(real);
	return NULL;
}

json_t *pmb_read_json(const char *dir, const char *name)
{
	char *p = pc_printf("%s/%s", dir, name), *text = p ? pc_read_file(p) : NULL;
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	free(p), free(text);
	return j;
}

/* Write S to F as a YAML double-quoted string. */
static void yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

char *pmb_config_text(paved_ctx *ctx, const char *base, int port, int exporter_port)
{
	const char *iv = json_string_value(paved->option(ctx, "scrape_interval"));
	char *text = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	if (port)
		fputs("# Written by paved (plugin prometheus) for the Prometheus it runs; rules and\n"
		      "# targets are copies of the monitoring directory's.  Do not edit.\n", f);
	else
		fputs("# Written by paved (plugin prometheus): a configuration for a Prometheus of\n"
		      "# your own (plugins.prometheus.url).  It loads every service's rules and scrapes\n"
		      "# every running replica (targets/*.json, rewritten at each deploy) and HAProxy's\n"
		      "# exporter; send it SIGHUP after `paved create service` to load new rules.\n", f);
	fprintf(f, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\nrule_files:\n  - ",
	        iv && *iv ? iv : "15s", iv && *iv ? iv : "15s");
	p = pc_printf("%s/rules/*.yml", base);
	yq(f, p ? p : "");
	free(p);
	fputs("\nscrape_configs:\n  - job_name: paved-services\n    file_sd_configs:\n"
	      "      - files: [", f);
	p = pc_printf("%s/targets/*.json", base);
	yq(f, p ? p : "");
	free(p);
	fputs("]\n  - job_name: haproxy\n    file_sd_configs:\n      - files: [", f);
	p = pc_printf("%s/platform/haproxy.json", base);
	yq(f, p ? p : "");
	free(p);
	fputs("]\n", f);
	if (port)
		fprintf(f, "  - job_name: paved\n    static_configs:\n      - targets: [\"127.0.0.1:%d\"]\n"
		        "  - job_name: prometheus\n    static_configs:\n      - targets: [\"127.0.0.1:%d\"]\n",
		        exporter_port, port);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* HAProxy's exporter as a file_sd list: the runtime driver `process`
 * records its port in runtime/haproxy/exporter.json; none while nothing
 * listens there. */
static char *haproxy_targets(const struct pmb *b)
{
	char *p = pc_printf("%s/runtime/haproxy/exporter.json", b->home), *text = p ? pc_read_file(p) : NULL;
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	int port = (int)json_integer_value(json_object_get(j, "port"));
	char *out = port > 0 && port < 65536 && pc_port_taken(port)
	            ? pc_printf("[{\"targets\": [\"127.0.0.1:%d\"], \"labels\": {\"component\": "
	                        "\"haproxy\"}}]\n", port)
	            : strdup("[]\n");
	json_decref(j);
	free(p), free(text);
	return out;
}

/* Make DIR/SUB (mode 0755: the unprivileged Prometheus reads it as root). */
static int subdir(const char *dir, const char *sub)
{
	char *p = pc_printf("%s/%s", dir, sub);
	struct stat st;
	int rc = p ? pc_mkdir_p(p, 0755) : -1;
	/* as root: owned by DIR's owner (the user Prometheus runs as), so that
	 * paved-metricsd can empty DIR once the home is gone; SUB and its parents */
	size_t n = strlen(dir);
	while (rc == 0 && geteuid() == 0 && p && strlen(p) > n && stat(dir, &st) == 0) {
		if (chown(p, st.st_uid, st.st_gid) != 0)
			break;
		*strrchr(p, '/') = '\0';
	}
	free(p);
	return rc;
}

/* Copy MON/SUB/ (files ending in SUFFIX) to REAL/etc/SUB/: write what changed, remove what
 * is gone.  Sets *CHANGED when anything did. */
static int mirror(const struct pmb *b, const char *sub, const char *suffix, bool *changed,
                  char **errmsg)
{
	char *from = pc_printf("%s/%s", b->mon, sub), *to = pc_printf("%s/etc/%s", b->real, sub);
	json_t *have = to ? pmf_list(to, suffix) : NULL, *want = from ? pmf_list(from, suffix) : NULL, *n;
	size_t i;
	int rc = PAVED_OK;
	if (!from || !to || !have || !want) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	json_array_foreach(want, i, n) {
		char *src = pc_printf("%s/%s", from, json_string_value(n));
		char *dst = pc_printf("%s/%s", to, json_string_value(n));
		char *text = src ? pc_read_file(src) : NULL;
		bool c = false;
		if (text && dst && pmf_put(dst, text, 0644, &c) != 0)
			rc = paved->error(errmsg, "cannot write %s: %s", dst, strerror(errno));
		*changed |= c;
		free(src), free(dst), free(text);
		if (rc)
			goto out;
	}
	json_array_foreach(have, i, n) {
		bool keep = false;
		size_t k;
		json_t *w;
		json_array_foreach(want, k, w)
			keep |= json_equal(w, n);
		char *dst = keep ? NULL : pc_printf("%s/%s", to, json_string_value(n));
		if (dst && pmf_remove(dst))
			*changed = true;
		free(dst);
	}
out:
	json_decref(have), json_decref(want);
	free(from), free(to);
	return rc;
}

int pmb_prepare_mon(const struct pmb *b, char **errmsg)
{
	static const char *const subs[] = { "", "/rules", "/targets", "/services", "/dashboards",
	                                    "/runbooks", "/platform", NULL };
	for (size_t i = 0; subs[i]; i++) {
		char *p = pc_printf("%s%s", b->mon, subs[i]);
		int rc = p ? pc_mkdir_p(p, 0755) : -1;
		if (rc)
			paved->error(errmsg, "cannot create %s: %s", p ? p : b->mon, strerror(errno));
		free(p);
		if (rc)
			return PAVED_ERR;
	}
	return PAVED_OK;
}

int pmb_sync(paved_ctx *ctx, struct pmb *b, char **errmsg)
{
	char *conf = NULL, *hp = NULL, *path = NULL;
	bool rules = false, other = false;
	int rc = pmb_prepare_mon(b, errmsg);
	if (rc)
		return rc;
	/* the monitoring directory's own prometheus.yml and HAProxy target */
	if (!(conf = pmb_config_text(ctx, b->mon, 0, 0)) || !(hp = haproxy_targets(b)) ||
	    !(path = pc_printf("%s/prometheus.yml", b->mon))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	if (pmf_put(path, conf, 0644, NULL) != 0) {
		rc = paved->error(errmsg, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	free(path);
	if (!(path = pc_printf("%s/platform/haproxy.json", b->mon)) || pmf_put(path, hp, 0644, NULL)) {
		rc = paved->error(errmsg, "cannot write %s: %s", path ? path : "?", strerror(errno));
		goto out;
	}
	if (!b->managed || !b->real || b->port <= 0)
		goto out;   /* no embedded Prometheus yet: pmb_ensure syncs when it starts one */
	free(conf), free(path);
	conf = path = NULL;
	if (subdir(b->real, "etc/rules") || subdir(b->real, "etc/targets") ||
	    subdir(b->real, "etc/platform") || subdir(b->real, "textfile")) {
		rc = paved->error(errmsg, "cannot create the directories of %s: %s", b->real,
		                  strerror(errno));
		goto out;
	}
	char *etc = pc_printf("%s/etc", b->real);
	conf = etc ? pmb_config_text(ctx, etc, b->port, b->exporter_port) : NULL;
	free(etc);
	if (!conf || !(path = pc_printf("%s/etc/prometheus.yml", b->real))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	if (pmf_put(path, conf, 0644, &rules) != 0) {
		rc = paved->error(errmsg, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	free(path);
	if (!(path = pc_printf("%s/etc/platform/haproxy.json", b->real)) ||
	    pmf_put(path, hp, 0644, NULL)) {
		rc = paved->error(errmsg, "cannot write %s: %s", path ? path : "?", strerror(errno));
		goto out;
	}
	if ((rc = mirror(b, "rules", ".yml", &rules, errmsg)) ||
	    (rc = mirror(b, "targets", ".json", &other, errmsg)))
		goto out;
	if (rules)   /* new rules (or configuration): Prometheus reloads on SIGHUP */
		pmb_signal_prometheus(b, SIGHUP);
out:
	free(conf), free(hp), free(path);
	return rc;
}

char *pmb_autostart(paved_ctx *ctx, struct pmb *b)
{
	char *err = NULL, *note = NULL;
	bool started = false;
	if (!b->managed || !json_is_true(paved->option(ctx, "autostart")) || pmb_running(b))
		return NULL;
	if (pmb_ensure(ctx, b, false, &started, &err) != PAVED_OK) {
		/* info, not a warning at every deploy: register's summary says it */
		paved->log(ctx, PAVED_LOG_INFO, "metrics are not collected: %s", err ? err : "?");
		note = pc_printf("metrics are not collected: %s", err ? err : "?");
	} else if (started) {
		note = pc_printf("Prometheus started at %s", b->url ? b->url : "?");
	}
	free(err);
	return note;
}
