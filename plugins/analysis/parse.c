/*
 * parse.c -- what the providers read, with no paved API (see analysis.h):
 * HAProxy's `show stat` CSV, Prometheus's query answer, templates.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "parse.h"

/* Split LINE (modified in place) on commas into F (at most MAX); count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	for (char *p = line; n < max;) {
		f[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

static int col(char **hdr, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(hdr[i], name))
			return i;
	return -1;
}

int an_parse_stat(const char *csv, const char *backend, struct an_server *out, int max)
{
	char *copy = strdup(csv ? csv : ""), *save = NULL, *hdr[200], *f[200];
	int nh = 0, found = 0, c[12];
	static const char *const want[] = { "pxname", "svname", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx",
		"hrsp_4xx", "hrsp_5xx", "hrsp_other", "rtime", "addr", "status", NULL };
	if (!copy)
		return -1;
	char *line = strtok_r(copy, "\n", &save);
	if (!line || strncmp(line, "# ", 2) != 0) {
		free(copy);
		return -1;
	}
	nh = split(line + 2, hdr, 200);
	for (int i = 0; want[i]; i++)
		if ((c[i] = col(hdr, nh, want[i])) < 0 && i < 8) {
			free(copy);
			return -1;
		}
	while ((line = strtok_r(NULL, "\n", &save)) && found < max) {
		int n = split(line, f, 200);
		if (n < nh - 1 || strcmp(f[c[0]], backend) || !strcmp(f[c[1]], "BACKEND") ||
		    !strcmp(f[c[1]], "FRONTEND"))
			continue;
		struct an_server *s = &out[found++];
		memset(s, 0, sizeof *s);
		snprintf(s->name, sizeof s->name, "%s", f[c[1]]);
		for (int i = 2; i <= 7; i++)
			s->responses += strtod(f[c[i]], NULL);
		s->errors = strtod(f[c[6]], NULL);
		s->rtime_ms = c[8] >= 0 ? strtod(f[c[8]], NULL) : 0;
		if (c[9] >= 0)
			snprintf(s->addr, sizeof s->addr, "%s", f[c[9]]);
		if (c[10] >= 0)
			snprintf(s->status, sizeof s->status, "%s", f[c[10]]);
	}
	free(copy);
	return found;
}

/* A Prometheus sample value ("0.5", "NaN", "+Inf") as JSON: a number, or
 * null for NaN. */
static json_t *sample(json_t *pair)
{
	const char *s = json_string_value(json_array_get(pair, 1));
	if (!s)
		return NULL;
	double v = strtod(s, NULL);
	if (!strcmp(s, "NaN") || isnan(v))
		return json_null();
	if (isinf(v))
		return json_real(v > 0 ? 1e308 : -1e308);
	return json_real(v);
}

int an_prom_value(const char *body, json_t **value, char *err, size_t len)
{
	json_error_t je;
	json_t *j = json_loads(body ? body : "", 0, &je), *data, *res, *x;
	int rc = -1;
	*value = NULL;
	if (!j) {
		snprintf(err, len, "the answer is not JSON: %s", je.text);
		return -1;
	}
	const char *status = json_string_value(json_object_get(j, "status"));
	if (!status || strcmp(status, "success")) {
		snprintf(err, len, "%s: %s", json_string_value(json_object_get(j, "errorType")) ?: "error",
		         json_string_value(json_object_get(j, "error")) ?: "the query failed");
		goto done;
	}
	data = json_object_get(j, "data");
	const char *type = json_string_value(json_object_get(data, "resultType"));
	res = json_object_get(data, "result");
	if (type && !strcmp(type, "scalar")) {
		*value = sample(res);
	} else if (type && !strcmp(type, "vector")) {
		size_t i, n = json_array_size(res);
		if (n == 0) {
			*value = json_null();   /* an empty vector is no data, not an error */
		} else if (n == 1) {
			*value = sample(json_object_get(json_array_get(res, 0), "value"));
		} else {
			json_t *a = json_array();
			bool any = false;
			json_array_foreach(res, i, x) {
				json_t *v = sample(json_object_get(x, "value"));
				any = any || json_is_number(v);
				json_array_append_new(a, v ? v : json_null());
			}
			*value = any ? a : (json_decref(a), json_null());
		}
	} else {
		snprintf(err, len, "a %s result: write an instant query that gives a number (a vector "
		         "of one series or a scalar)", type ? type : "missing");
		goto done;
	}
	if (!*value) {
		snprintf(err, len, "the answer has no sample value");
		goto done;
	}
	rc = 0;
done:
	json_decref(j);
	return rc;
}

char *an_template(const char *text, json_t *vars)
{
	size_t cap = strlen(text) + 1, len = 0;
	char *out = malloc(cap);
	for (const char *p = text; out && *p;) {
		const char *end = p[0] == '{' && p[1] == '{' ? strstr(p + 2, "}}") : NULL;
		char name[64], num[64];
		const char *val = NULL;
		if (end && end - p - 2 > 0 && end - p - 2 < (long)sizeof name) {
			snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
			json_t *v = json_object_get(vars, name);
			if (json_is_string(v))
				val = json_string_value(v);
			else if (json_is_integer(v))
				snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), val = num;
			else if (json_is_real(v))
				snprintf(num, sizeof num, "%g", json_real_value(v)), val = num;
		}
		size_t add = val ? strlen(val) : 1;
		if (len + add + 1 > cap) {
			char *g = realloc(out, cap = (len + add + 1) * 2);
			if (!g) {
				free(out);
				return NULL;
			}
			out = g;
		}
		if (val) {
			memcpy(out + len, val, add);
			len += add;
			p = end + 2;
		} else {
			out[len++] = *p++;
		}
	}
	if (out)
		out[len] = '\0';
	return out;
}
