/*
 * expo.c -- the counters and histograms of sink_prometheus in its state
 * (see sp.h), and their text exposition (format 0.0.4):
 *
 *   state.counters.FAMILY[SERIES]   = n
 *   state.histograms.FAMILY[SERIES] = {"buckets": [n per bound], "sum", "count"}
 *
 * SERIES is the series' label text (service="x",env="dev"), made once from
 * the labels with the values escaped, so rendering is a sorted walk.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp.h"

static const double deploy_bounds[] = { 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800 };
static const double prov_bounds[] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };

static const struct family {
	const char *name, *type, *help;
	const double *bounds;
	size_t nbounds;
} families[] = {
	{ SP_DEPLOYS, "counter", "Deploys that ended, by service, env and outcome (success, failed, "
	  "rolled_back, skipped).", NULL, 0 },
	{ SP_DEPLOY_S, "histogram", "Time from deploy.started to the deploy's outcome, by service "
	  "and env.", deploy_bounds, sizeof deploy_bounds / sizeof deploy_bounds[0] },
	{ SP_RUNS, "counter", "Golden-path runs, by recipe and status (succeeded, failed).", NULL, 0 },
	{ SP_PROV_S, "histogram", "Time to provision a resource, by type and driver.", prov_bounds,
	  sizeof prov_bounds / sizeof prov_bounds[0] },
	{ SP_RESOURCES, "counter", "Resources provisioned or failed, by type, driver and outcome.",
	  NULL, 0 },
	{ SP_EVENTS, "counter", "Events paved emitted, by name.", NULL, 0 },
};

static const struct family *family_of(const char *name)
{
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (!strcmp(families[i].name, name))
			return &families[i];
	return NULL;
}

/* The series text of LABELS: k="v",... with \, " and newlines escaped, in
 * key order. */
static char *series(json_t *labels)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char **keys = calloc(json_object_size(labels) + 1, sizeof *keys), *k;
	size_t n = 0;
	json_t *v;
	if (!f || !keys) {
		if (f)
			fclose(f);
		free(keys), free(text);
		return NULL;
	}
	json_object_foreach(labels, k, v)
		keys[n++] = k;
	for (size_t i = 1; i < n; i++)     /* a few keys: insertion sort */
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];
			keys[j] = keys[j - 1], keys[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_object_get(labels, keys[i]));
		fprintf(f, "%s%s=\"", i ? "," : "", keys[i]);
		for (; s && *s; s++)
			if (*s == '\\' || *s == '"')
				fprintf(f, "\\%c", *s);
			else if (*s == '\n')
				fputs("\\n", f);
			else
				fputc(*s, f);
		fputc('"', f);
	}
	fclose(f);
	free(keys);
	return text;
}

/* STATE.KIND.FAMILY, made when missing (borrowed). */
static json_t *slot(json_t *state, const char *kind, const char *family)
{
	json_t *k = json_object_get(state, kind), *f;
	if (!k)
		json_object_set_new(state, kind, k = json_object());
	if (!(f = json_object_get(k, family)))
		json_object_set_new(k, family, f = json_object());
	return f;
}

void sp_count(json_t *state, const char *family, json_t *labels)
{
	char *s = series(labels);
	json_t *f = slot(state, "counters", family);
	if (s)
		json_object_set_new(f, s, json_integer(json_integer_value(json_object_get(f, s)) + 1));
	free(s);
}

void sp_observe(json_t *state, const char *family, json_t *labels, double v)
{
	const struct family *fam = family_of(family);
	char *s = series(labels);
	json_t *f = slot(state, "histograms", family), *h = s ? json_object_get(f, s) : NULL;
	if (!fam || !s) {
		free(s);
		return;
	}
	if (!h) {
		json_t *b = json_array();
		for (size_t i = 0; i < fam->nbounds; i++)
			json_array_append_new(b, json_integer(0));
		json_object_set_new(f, s, h = json_pack("{so sf si}", "buckets", b, "sum", 0.0, "count", 0));
	}
	json_t *b = json_object_get(h, "buckets");
	for (size_t i = 0; i < fam->nbounds && i < json_array_size(b); i++)
		if (v <= fam->bounds[i])
			json_array_set_new(b, i, json_integer(json_integer_value(json_array_get(b, i)) + 1));
	json_object_set_new(h, "sum", json_real(json_number_value(json_object_get(h, "sum")) + v));
	json_object_set_new(h, "count", json_integer(json_integer_value(json_object_get(h, "count")) + 1));
	free(s);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of OBJ, sorted (malloc()ed array, borrowed strings). */
static const char **sorted(json_t *obj, size_t *n)
{
	const char **keys = calloc(json_object_size(obj) + 1, sizeof *keys), *k;
	json_t *v;
	*n = 0;
	if (!keys)
		return NULL;
	json_object_foreach(obj, k, v)
		keys[(*n)++] = k;
	qsort(keys, *n, sizeof *keys, by_key);
	return keys;
}

char *sp_render(json_t *state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		const struct family *fam = &families[i];
		bool hist = fam->bounds != NULL;
		json_t *series_of = json_object_get(json_object_get(state, hist ? "histograms" : "counters"),
		                                    fam->name);
		size_t n;
		const char **keys = sorted(series_of, &n);
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
		for (size_t k = 0; keys && k < n; k++) {
			json_t *v = json_object_get(series_of, keys[k]);
			const char *sep = *keys[k] ? "," : "";
			if (!hist) {
				fprintf(f, "%s{%s} %lld\n", fam->name, keys[k], (long long)json_integer_value(v));
				continue;
			}
			json_t *b = json_object_get(v, "buckets");
			for (size_t j = 0; j < fam->nbounds; j++)
				fprintf(f, "%s_bucket{%s%sle=\"%g\"} %lld\n", fam->name, keys[k], sep,
				        fam->bounds[j], (long long)json_integer_value(json_array_get(b, j)));
			fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %lld\n%s_sum{%s} %.6f\n%s_count{%s} %lld\n",
			        fam->name, keys[k], sep,
			        (long long)json_integer_value(json_object_get(v, "count")), fam->name, keys[k],
			        json_number_value(json_object_get(v, "sum")), fam->name, keys[k],
			        (long long)json_integer_value(json_object_get(v, "count")));
		}
		free(keys);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
