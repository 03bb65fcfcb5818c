/*
 * driver.c -- deploy.driver.canary.check, and the normalisation run
 * shares: the config (steps, analysis, rollback, judge) normalised by
 * spec.c, every metric's provider asked (analysis.check).  An unknown
 * provider, a duplicate metric, a weight over 100, steps that never reach
 * 100 are refused here, before anything is built (the deploy core calls
 * the front deploy.check right after it reads platform.yaml), with the
 * field and its line in platform.yaml named.  A metric the SLO implies
 * whose provider cannot measure (no Prometheus) is left out with a
 * warning.  The other verbs are rollout.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canary.h"

void cn_opts(paved_ctx *ctx, struct cx_opts *o)
{
	json_t *v;
	o->measurements = json_is_integer(v = paved->option(ctx, "measurements")) &&
	                  json_integer_value(v) > 0 ? (int)json_integer_value(v) : 10;
	o->interval = json_is_integer(v = paved->option(ctx, "interval")) && json_integer_value(v) > 0
	              ? (double)json_integer_value(v) : 60;
	o->min_window = json_is_integer(v = paved->option(ctx, "min_window")) ?
	                (double)json_integer_value(v) : 10;
	o->latency_metric = json_string_value(paved->option(ctx, "latency_metric"));
}

/* "platform.yaml:LINE:COL: " of the field at PATH in FILE, or "". */
static void where(paved_ctx *ctx, const char *file, const char *path, char *buf, size_t len)
{
	json_t *doc = NULL, *marks = NULL;
	char ptr[300], *err = NULL;
	*buf = '\0';
	if (!file || !path)
		return;
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_MARKS, .marks = &marks };
	if (paved->read_yaml(ctx, file, &o, &doc, &err) == PAVED_OK) {
		cx_pointer(path, ptr, sizeof ptr);
		/* the field itself, else the nearest parent that has a mark */
		for (char *cut; !json_object_get(marks, ptr) && (cut = strrchr(ptr, '/')) && cut != ptr;)
			*cut = '\0';
		json_t *m = json_object_get(marks, ptr);
		/* the release's copy goes when the deploy fails: name the file as the
		 * repository has it, at the same commit */
		const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
		if (m)
			snprintf(buf, len, "%s:%d:%d: ", base, (int)json_integer_value(json_array_get(m, 0)),
			         (int)json_integer_value(json_array_get(m, 1)));
	}
	json_decref(doc), json_decref(marks);
	free(err);
}

/* Each metric of SPEC (steps' runs and the background), for FN. */
static int each_metric(json_t *spec, int (*fn)(void *, json_t *list, size_t i, json_t *m),
                       void *ud)
{
	size_t i, j;
	json_t *s, *m;
	json_array_foreach(json_object_get(spec, "steps"), i, s) {
		json_t *list = json_object_get(json_object_get(s, "analysis"), "metrics");
		for (j = 0; j < json_array_size(list); j++)
			if (fn(ud, list, j, json_array_get(list, j)))
				return -1;
	}
	json_t *list = json_object_get(json_object_get(spec, "background"), "metrics");
	for (j = 0; j < json_array_size(list); j++) {
		m = json_array_get(list, j);
		int r = fn(ud, list, j, m);
		if (r < 0)
			return -1;
		if (r > 0)
			j--;   /* it was removed */
	}
	return 0;
}

/* What checking the providers needs. */
struct chk {
	paved_ctx  *ctx;
	json_t     *args, *warnings;
	const char *file;
	char      **errmsg;
};

/* Ask metric M's provider to check it (analysis.check).  An optional
 * metric (from the SLO) that cannot be measured is dropped with a
 * warning; returns 1 then. */
static int check_metric(void *ud, json_t *list, size_t i, json_t *m)
{
	struct chk *c = ud;
	const char *prov = json_string_value(json_object_get(m, "provider"));
	const char *at = json_string_value(json_object_get(m, "at"));
	if ((!strcmp(prov, "webhook") || !strcmp(prov, "job")) &&
	    !json_object_get(m, "successCondition") && !json_object_get(m, "failureCondition"))
		json_object_set_new(m, "successCondition", json_string("result.ok"));
	json_t *a = json_pack("{sO sO ss sO}", "service", json_object_get(c->args, "service"), "env",
	                      json_object_get(c->args, "env"), "provider", prov, "metric", m), *res = NULL;
	char *err = NULL, pos[400];
	int rc = paved->call(c->ctx, "analysis.check", a, &res, &err);
	json_decref(a), json_decref(res);
	if (rc == PAVED_OK) {
		free(err);
		return 0;
	}
	char *e = err ? err : strdup("failed");
	e[strcspn(e, "\n")] = '\0';
	const char *inner = strstr(e, ".check: ") ? strstr(e, ".check: ") + 8 : e;
	if (json_is_true(json_object_get(m, "optional"))) {
		char *w = pc_printf("%s (%s) is left out: %s", at, json_string_value(json_object_get(m,
		                    "name")), rc == PAVED_NOHOOK ? "its provider is not installed" : inner);
		json_array_append_new(c->warnings, json_string(w));
		free(w), free(e);
		json_array_remove(list, i);
		return 1;
	}
	if (rc == PAVED_NOHOOK) {
		const char *inst = strstr(e, "installed analysis drivers: ");
		char *path = pc_printf("%s.provider", at);
		where(c->ctx, c->file, path, pos, sizeof pos);
		paved->error(c->errmsg, "%s%s: no analysis provider '%s' is installed (installed: %s)",
		             pos, path, prov, inst ? inst + 28 : "none");
		free(path);
	} else {
		where(c->ctx, c->file, at, pos, sizeof pos);
		paved->error(c->errmsg, "%s%s: provider %s: %s", pos, at, prov, inner);
	}
	free(e);
	return -1;
}

int cn_normalise(paved_ctx *ctx, json_t *args, json_t **spec, json_t *warnings, char **errmsg)
{
	struct cx_opts o;
	char err[600], pos[400];
	const char *file = json_string_value(json_object_get(args, "file"));
	cn_opts(ctx, &o);
	json_t *cfg = json_object_get(args, "config");
	json_t *empty = cfg ? NULL : json_object();
	if (cx_spec_parse(cfg ? cfg : empty, json_object_get(args, "slo"), &o, spec, warnings, err,
	                  sizeof err)) {
		char field[300];
		snprintf(field, sizeof field, "%.*s", (int)strcspn(err, ":"), err);
		where(ctx, file, field, pos, sizeof pos);
		json_decref(empty);
		return paved->error(errmsg, "%s%s", pos, err);
	}
	json_decref(empty);
	struct chk c = { ctx, args, warnings, file, errmsg };
	if (each_metric(*spec, check_metric, &c)) {
		json_decref(*spec), *spec = NULL;
		return PAVED_ERR;
	}
	return PAVED_OK;
}

void cn_step_text(json_t *s, char *buf, size_t len)
{
	json_t *p = json_object_get(s, "pause"), *a = json_object_get(s, "analysis");
	if (json_object_get(s, "setWeight"))
		snprintf(buf, len, "setWeight %g%%", json_number_value(json_object_get(s, "setWeight")));
	else if (p && json_is_number(json_object_get(p, "duration")))
		snprintf(buf, len, "pause %gs", json_number_value(json_object_get(p, "duration")));
	else if (p)
		snprintf(buf, len, "pause (until promoted)");
	else
		snprintf(buf, len, "analysis %s", json_string_value(json_object_get(a, "name")) ?: "");
}

char *cn_describe(json_t *spec)
{
	char buf[600] = "";
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(spec, "steps"), i, s) {
		size_t n = strlen(buf);
		json_t *p = json_object_get(s, "pause");
		if (json_object_get(s, "setWeight"))
			snprintf(buf + n, sizeof buf - n, "%s%g%%", n ? ", " : "",
			         json_number_value(json_object_get(s, "setWeight")));
		else if (p && json_is_number(json_object_get(p, "duration")))
			snprintf(buf + n, sizeof buf - n, "%spause %gs", n ? ", " : "",
			         json_number_value(json_object_get(p, "duration")));
		else if (p)
			snprintf(buf + n, sizeof buf - n, "%spause until promoted", n ? ", " : "");
		else
			snprintf(buf + n, sizeof buf - n, "%sanalysis", n ? ", " : "");
	}
	return strdup(buf);
}

int cn_h_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *spec = NULL, *w = json_array();
	int rc = cn_normalise(ctx, args, &spec, w, errmsg);
	if (!rc) {
		char *d = cn_describe(spec);
		char *sum = pc_printf("canary: steps %s; analysis from %s%s", d ? d : "",
		                      json_string_value(json_object_get(spec, "source")),
		                      json_object_get(spec, "judge") ? "; judge mann-whitney against a "
		                      "fresh baseline" : "");
		*result = json_pack("{so ss}", "warnings", json_incref(w), "summary", sum ? sum : "");
		free(d), free(sum);
	}
	json_decref(spec), json_decref(w);
	return rc;
}
