/*
 * yaml_scalar.c -- what a plain YAML scalar means, by the YAML 1.2 core
 * schema (what Backstage's js-yaml uses): null, booleans, integers (decimal,
 * 0x, 0o), floats; everything else is text.  The reader resolves with it,
 * and the writer quotes the strings that would otherwise read back as
 * something else.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Whether TEXT matches the YAML 1.2 core-schema float pattern. */
static bool is_float(const char *s)
{
	const char *p = s;
	bool digits = false;
	if (*p == '+' || *p == '-')
		p++;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF"))
		return true;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits = true;
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* A number as JavaScript holds it (a double) and JSON.stringify writes it:
 * integers beyond 2^53 lose their last digits, infinity and NaN become
 * null.  TEXT is an integer in BASE, or a float. */
static json_t *js_number(const char *text, int base, bool is_int)
{
	double d = 0;
	if (is_int && base == 8) {   /* strtod reads no 0o */
		const char *p = text + (*text == '-' || *text == '+') + 2;
		for (; *p; p++)
			d = d * 8 + (*p - '0');
		if (*text == '-')
			d = -d;
	} else {
		d = strtod(text, NULL);
	}
	if (isinf(d) || isnan(d))
		return json_null();
	if (is_int && fabs(d) <= 9007199254740992.0)
		return json_integer((json_int_t)d);
	return json_real(d);
}

/* Resolve a plain scalar: null, bool, int, float, else NULL (a string).
 * JS: numbers as a JavaScript reader stores them in JSON (see
 * PAVED_YAML_JS_NUMBERS). */
json_t *pv_yaml_resolve(const char *s, bool js)
{
	if (!*s)
		return json_null();
	if (!strchr("~nNtTfF.+-0123456789", *s))   /* most text: nothing to resolve */
		return NULL;
	if (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	const char *d = s + (*s == '-' || *s == '+');
	int base = 10;
	if (d[0] == '0' && d[1] == 'x' && d == s)
		base = 16, d += 2;
	else if (d[0] == '0' && d[1] == 'o' && d == s)
		base = 8, d += 2;
	if (*d) {
		const char *q = d;
		for (; *q; q++) {
			bool ok = base == 16 ? strchr("0123456789abcdefABCDEF", *q) != NULL
			        : base == 8 ? (*q >= '0' && *q <= '7') : (*q >= '0' && *q <= '9');
			if (!ok)
				break;
		}
		if (*q == '\0') {
			errno = 0;
			long long v = strtoll(base == 10 ? s : d, NULL, base);
			if (js && (errno != 0 || v > (1LL << 53) || v < -(1LL << 53)))
				return js_number(s, base, true);
			if (errno == 0)
				return json_integer(v);
			return NULL;   /* too big: keep the text */
		}
	}
	if (is_float(s)) {
		if (strstr(s, "inf") || strstr(s, "Inf") || strstr(s, "INF"))
			return js ? json_null() : NULL;   /* JSON has no infinity: keep the text */
		return json_real(strtod(s, NULL));
	}
	if (js && (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")))
		return json_null();
	return NULL;
}

/* Whether the string S would read back as something other than a string
 * when written plain (the emitter then quotes it). */
bool pv_yaml_needs_quotes(const char *s)
{
	json_t *v = pv_yaml_resolve(s, false);
	json_decref(v);
	return v != NULL || !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
}
