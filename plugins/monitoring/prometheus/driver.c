/*
 * driver.c -- the monitoring driver `prometheus`: the verbs of the area
 * monitoring (sdk/hooks.json) as monitoring.driver.prometheus.VERB.
 *
 *   register {service, owner?, env?, dir?, metrics_path?, health_path?, slo?}
 *       -> {summary, dashboard}
 *     rules/S.yml (gen.h: RED per version, SLO burn-rate alerts),
 *     runbooks/S.md, dashboards/S.json, services/S.json; then the embedded
 *     Prometheus loads them (started if it was not: plugins.prometheus.autostart)
 *   targets {service, env, targets: [{address, labels}]} -> {targets, file}
 *     targets/S.ENV.json: one file_sd entry per running replica (its own
 *     address), labelled service, env, owner, __metrics_path__ and the
 *     caller's labels (version, replica); an empty list removes the file
 *   unregister {service} -> {removed}
 *   list {} -> [{service, owner, targets}]
 *
 * Every change is mirrored to what the embedded Prometheus reads (pmb_sync).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pm.h"

enum { V_REGISTER, V_UNREGISTER, V_TARGETS, V_LIST };

/* Is OWNER usable as a label value and a file's text?  [A-Za-z0-9._-]+ */
static bool owner_ok(const char *o)
{
	if (!o || !*o || strlen(o) > 128)
		return false;
	for (; *o; o++)
		if (!((*o >= 'a' && *o <= 'z') || (*o >= 'A' && *o <= 'Z') || (*o >= '0' && *o <= '9') ||
		      *o == '.' || *o == '_' || *o == '-'))
			return false;
	return true;
}

/* S's metadata (services/S.json), or an empty object. */
static json_t *meta(const struct pmb *b, const char *svc)
{
	char *dir = pc_printf("%s/services", b->mon), *name = pc_printf("%s.json", svc);
	json_t *m = dir && name ? pmb_read_json(dir, name) : NULL;
	free(dir), free(name);
	return json_is_object(m) ? m : (json_decref(m), json_object());
}

/* Write MON/SUB/NAME (0644); PAVED_ERR with *ERRMSG naming it. */
static int put(const struct pmb *b, const char *sub, const char *name, const char *text,
               char **errmsg)
{
	char *p = pc_printf("%s/%s/%s", b->mon, sub, name);
	int rc = PAVED_OK;
	if (!p || !text)
		rc = paved->error(errmsg, "out of memory");
	else if (pmf_put(p, text, 0644, NULL) != 0)
		rc = paved->error(errmsg, "cannot write %s: %s", p, strerror(errno));
	free(p);
	return rc;
}

static int do_register(paved_ctx *ctx, struct pmb *b, json_t *args, json_t **result, char **errmsg)
{
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *owner = json_string_value(json_object_get(args, "owner"));
	const char *grafana = json_string_value(paved->option(ctx, "grafana_url"));
	struct pmg_slo slo;
	char *err = NULL, *uid = NULL, *rb = NULL, *db = NULL, *dbfile = NULL, *name = NULL;
	char *rules = NULL, *runbook = NULL, *dash = NULL, *m = NULL, *note = NULL;
	json_t *d = NULL, *mj = NULL;
	int rc = PAVED_ERR;
	if (!owner)
		owner = "unowned";
	if (!owner_ok(owner))
		return paved->error(errmsg, "invalid owner '%s' (letters, digits, '.', '_' and '-')", owner);
	if (pmg_slo_parse(json_object_get(args, "slo"), &slo, &err) != 0) {
		rc = paved->error(errmsg, "%s", err ? err : "invalid slo");
		free(err);
		return rc;
	}
	if ((rc = pmb_prepare_mon(b, errmsg)))
		return rc;
	rc = PAVED_ERR;
	if (!(uid = pmg_uid(svc)) || !(rb = pc_printf("file://%s/runbooks/%s.md", b->mon, svc)) ||
	    !(dbfile = pc_printf("%s/dashboards/%s.json", b->mon, svc)) ||
	    !(db = pc_printf("%s/d/%s/%s", grafana && *grafana ? grafana : "http://localhost:3000",
	                     uid, svc)) || !(name = pc_printf("%s.yml", svc))) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	struct pmg_service s = { .service = svc, .owner = owner, .slo = &slo, .uid = uid,
	                         .runbook_url = rb, .dashboard_url = db, .dashboard_file = dbfile };
	rules = pmg_rules(&s);
	runbook = pmg_runbook(&s);
	d = pmg_dashboard(&s);
	dash = d ? json_dumps(d, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	mj = json_pack("{ss ss ss ss sO? so}", "service", svc, "owner", owner,
	               "metrics_path", json_string_value(json_object_get(args, "metrics_path")) ?: "/metrics",
	               "health_path", json_string_value(json_object_get(args, "health_path")) ?: "/health",
	               "slo", json_object_get(args, "slo"), "dashboard_uid", json_string(uid));
	m = mj ? json_dumps(mj, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	char *dn = pc_printf("%s.json", svc), *mdn = pc_printf("%s.md", svc);
	if (put(b, "rules", name, rules, errmsg) || put(b, "runbooks", mdn, runbook, errmsg) ||
	    put(b, "dashboards", dn, dash, errmsg) || put(b, "services", dn, m, errmsg)) {
		free(dn), free(mdn);
		goto out;
	}
	free(dn), free(mdn);
	json_t *ev = json_pack("{ss ss ss}", "service", svc, "rules", name, "dashboard", dbfile);
	paved->emit(ctx, "monitoring.registered", ev);
	json_decref(ev);
	note = pmb_autostart(ctx, b);
	if ((rc = pmb_sync(ctx, b, errmsg)))
		goto out;
	struct pmg_alert al[6];
	size_t na = pmg_alerts(&slo, al), nrec = 6;
	for (size_t i = 0; pmg_windows[i]; i++)
		nrec += (size_t)slo.availability_set + (size_t)slo.latency_set;
	char *sum = pc_printf("%zu alert rules%s, %zu recording rules; %s%s%s%s", na,
	                      slo.availability_set || slo.latency_set
	                      ? " (SLO burn rates from platform.yaml)" : "", nrec,
	                      b->managed ? "Prometheus scrapes each running replica"
	                      : "your Prometheus (plugins.prometheus.url) loads monitoring/prometheus.yml",
	                      note ? " (" : "", note ? note : "", note ? ")" : "");
	*result = json_pack("{ss? so}", "summary", sum, "dashboard",
	                    json_sprintf("%s (Grafana uid %s; in a terminal: paved metrics %s)",
	                                 dbfile, uid, svc));
	free(sum);
	rc = PAVED_OK;
out:
	json_decref(d), json_decref(mj);
	free(uid), free(rb), free(db), free(dbfile), free(name), free(rules), free(runbook);
	free(dash), free(m), free(note);
	return rc;
}

static int do_targets(paved_ctx *ctx, struct pmb *b, json_t *args, json_t **result, char **errmsg)
{
	const char *svc = json_string_value(json_object_get(args, "service"));
	const char *env = json_string_value(json_object_get(args, "env"));
	json_t *ts = json_object_get(args, "targets"), *t, *out = json_array(), *m = NULL;
	char *file = NULL, *text = NULL;
	size_t i;
	int rc = PAVED_ERR;
	if (!pmf_env_ok(env)) {
		rc = paved->error(errmsg, "invalid env '%s'", env ? env : "");
		goto out;
	}
	if (!json_is_array(ts)) {
		rc = paved->error(errmsg, "argument 'targets' must be a list");
		goto out;
	}
	m = meta(b, svc);
	json_array_foreach(ts, i, t) {
		const char *addr = json_string_value(json_object_get(t, "address"));
		const char *colon = addr ? strrchr(addr, ':') : NULL;
		if (!colon || colon == addr || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    strspn(addr, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") !=
		    strlen(addr)) {
			rc = paved->error(errmsg, "targets[%zu].address must be HOST:PORT, not '%s'", i,
			                  addr ? addr : "");
			goto out;
		}
		json_t *labels = json_pack("{ss ss ss ss}", "service", svc, "env", env, "owner",
		                           json_string_value(json_object_get(m, "owner")) ?: "unowned",
		                           "__metrics_path__",
		                           json_string_value(json_object_get(m, "metrics_path")) ?: "/metrics");
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(t, "labels"), k, v) {
			bool ok = *k && !(k[0] >= '0' && k[0] <= '9');
			for (const char *c = k; ok && *c; c++)
				ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				     (*c >= '0' && *c <= '9') || *c == '_';
			if (!ok) {
				json_decref(labels);
				rc = paved->error(errmsg, "targets[%zu]: invalid label name '%s'", i, k);
				goto out;
			}
			json_object_set_new(labels, k, json_is_string(v) ? json_copy(v)
			                    : json_string(json_is_null(v) ? "" : "?"));
			if (!json_is_string(v) && json_is_number(v))
				json_object_set_new(labels, k, json_sprintf("%g", json_number_value(v)));
		}
		json_array_append_new(out, json_pack("{s[s] so}", "targets", addr, "labels", labels));
	}
	if ((rc = pmb_prepare_mon(b, errmsg)))
		goto out;
	rc = PAVED_ERR;
	if (!(file = pc_printf("%s/targets/%s.%s.json", b->mon, svc, env))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	if (json_array_size(out) == 0) {
		pmf_remove(file);
	} else {
		char *j = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		text = j ? pc_printf("%s\n", j) : NULL;
		free(j);
		if (!text || pmf_put(file, text, 0644, NULL) != 0) {
			rc = paved->error(errmsg, "cannot write %s: %s", file, strerror(errno));
			goto out;
		}
	}
	char *note = json_array_size(out) ? pmb_autostart(ctx, b) : NULL;
	free(note);
	if ((rc = pmb_sync(ctx, b, errmsg)))
		goto out;
	*result = json_pack("{si ss}", "targets", (int)json_array_size(out), "file", file);
out:
	json_decref(out), json_decref(m);
	free(file), free(text);
	return rc;
}

static int do_unregister(paved_ctx *ctx, struct pmb *b, const char *svc, json_t **result,
                         char **errmsg)
{
	static const char *const files[][2] = { { "rules", ".yml" }, { "services", ".json" },
	                                        { "runbooks", ".md" }, { "dashboards", ".json" },
	                                        { "targets", ".json" } };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *p = pc_printf("%s/%s/%s%s", b->mon, files[i][0], svc, files[i][1]);
		if (p)
			pmf_remove(p);
		free(p);
	}
	char *dir = pc_printf("%s/targets", b->mon);
	json_t *names = dir ? pmf_list(dir, ".json") : json_array(), *n;
	size_t i, l = strlen(svc);
	json_array_foreach(names, i, n) {
		const char *f = json_string_value(n);
		if (!strncmp(f, svc, l) && f[l] == '.' && strchr(f + l + 1, '.') == strrchr(f, '.')) {
			char *p = pc_printf("%s/%s", dir, f);
			if (p)
				pmf_remove(p);
			free(p);
		}
	}
	json_decref(names);
	free(dir);
	*result = json_pack("{ss}", "removed", svc);
	return pmb_sync(ctx, b, errmsg);
}

static json_t *do_list(const struct pmb *b)
{
	char *sd = pc_printf("%s/services", b->mon), *td = pc_printf("%s/targets", b->mon);
	json_t *svcs = sd ? pmf_list(sd, ".json") : json_array(), *tf = td ? pmf_list(td, ".json") : json_array();
	json_t *out = json_array(), *n, *f;
	size_t i, k;
	json_array_foreach(svcs, i, n) {
		char *svc = strndup(json_string_value(n), strlen(json_string_value(n)) - 5);
		json_t *m = svc ? meta(b, svc) : json_object();
		int count = 0;
		json_array_foreach(tf, k, f) {
			const char *t = json_string_value(f);
			size_t l = svc ? strlen(svc) : 0;
			if (svc && !strncmp(t, svc, l) && t[l] == '.' && strchr(t + l + 1, '.') == strrchr(t, '.')) {
				char *p = pc_printf("%s/%s", td, t);
				json_t *j = p ? json_load_file(p, 0, NULL) : NULL;
				count += (int)json_array_size(j);
				json_decref(j);
				free(p);
			}
		}
		json_array_append_new(out, json_pack("{ss sO? si}", "service", svc ? svc : "?", "owner",
		                      json_object_get(m, "owner"), "targets", count));
		json_decref(m);
		free(svc);
	}
	json_decref(svcs), json_decref(tf);
	free(sd), free(td);
	return out;
}

int pmd_verb(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	int verb = (int)(long)data, rc;
	const char *svc = json_string_value(json_object_get(args, "service"));
	struct pmb b;
	if (verb != V_LIST && !pmf_name_ok(svc))
		return paved->error(errmsg, "invalid service name '%s'", svc ? svc : "");
	if ((rc = pmb_open(ctx, &b, errmsg)))
		return rc;
	switch (verb) {
	case V_REGISTER:
		rc = do_register(ctx, &b, args, result, errmsg);
		break;
	case V_UNREGISTER:
		rc = do_unregister(ctx, &b, svc, result, errmsg);
		break;
	case V_TARGETS:
		rc = do_targets(ctx, &b, args, result, errmsg);
		break;
	default:
		*result = do_list(&b);
		rc = PAVED_OK;
	}
	pmb_close(&b);
	return rc;
}
