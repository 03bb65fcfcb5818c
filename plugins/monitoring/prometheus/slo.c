/*
 * slo.c -- a service's SLO as the alert generator reads it, the SRE
 * workbook's burn-rate conditions for its window, the alerts the rules
 * define, the dashboard uid (see gen.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

const double pmg_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1,
                               2.5, 5, 7.5, 10 };
const size_t pmg_nbuckets = sizeof pmg_buckets / sizeof pmg_buckets[0];

const char *const pmg_windows[] = { "5m", "30m", "1h", "2h", "6h", "1d", "3d", NULL };

int pmg_error(char **errmsg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (errmsg && vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
	return -1;
}

/* slo.window: "Nd" with 28 <= N <= 90.  Days, or -1 with *ERRMSG. */
static int window_days(json_t *v, char **errmsg)
{
	const char *w = json_string_value(v);
	char *end = NULL;
	long n = w && *w >= '1' && *w <= '9' ? strtol(w, &end, 10) : 0;
	if (!w)
		return pmg_error(errmsg, "slo.window: must be a number of days such as 30d");
	if (n <= 0 || strcmp(end, "d") != 0)
		return pmg_error(errmsg, "slo.window: '%s' is not a window the alert generator knows: "
		                 "use a number of days from 28d to 90d, such as 30d", w);
	if (n < 28 || n > 90)
		return pmg_error(errmsg, "slo.window: '%s' is not a window the alert generator knows: "
		                 "its burn-rate alerts (the SRE workbook's: 2%% of the error budget in "
		                 "1h, 5%% in 6h, 10%% in 1d and in 3d) need 28d to 90d", w);
	return (int)n;
}

int pmg_slo_parse(json_t *slo, struct pmg_slo *out, char **errmsg)
{
	json_t *v;
	memset(out, 0, sizeof *out);
	out->window_days = 30;
	if (!slo || json_is_null(slo))
		return 0;
	if (!json_is_object(slo))
		return pmg_error(errmsg, "slo: must be a mapping (availability, latency, window)");
	if ((v = json_object_get(slo, "availability"))) {
		if (!json_is_number(v))
			return pmg_error(errmsg, "slo.availability: must be a percentage such as 99.9");
		double a = json_number_value(v);
		if (a >= 100)
			return pmg_error(errmsg, "slo.availability: %g leaves no error budget to alert on: "
			                 "use a percentage below 100, such as 99.9", a);
		if (a <= 0)
			return pmg_error(errmsg, "slo.availability: must be a percentage above 0, such as "
			                 "99.9 (not %g)", a);
		out->availability_set = true;
		out->availability = a;
	}
	if ((v = json_object_get(slo, "window"))) {
		int d = window_days(v, errmsg);
		if (d < 0)
			return -1;
		out->window_days = d;
	}
	if ((v = json_object_get(slo, "latency"))) {
		json_t *p = json_object_get(v, "p99_ms");
		if (!json_is_object(v))
			return pmg_error(errmsg, "slo.latency: must be a mapping {p99_ms: N}");
		if (!json_is_integer(p) || json_integer_value(p) <= 0)
			return pmg_error(errmsg, "slo.latency.p99_ms: must be a whole number of "
			                 "milliseconds above 0, such as 200");
		if (json_integer_value(p) > (json_int_t)(pmg_buckets[pmg_nbuckets - 1] * 1000))
			return pmg_error(errmsg, "slo.latency.p99_ms: %lld ms is beyond the histogram's "
			                 "largest bucket (%g s)", (long long)json_integer_value(p),
			                 pmg_buckets[pmg_nbuckets - 1]);
		out->latency_set = true;
		out->p99_ms = (long)json_integer_value(p);
	}
	return 0;
}

void pmg_burns(int window_days, struct pmg_burn out[4])
{
	static const struct { const char *sev, *lw, *sw; double pct, hours; } t[4] = {
		{ "page", "1h", "5m", 2, 1 },      { "page", "6h", "30m", 5, 6 },
		{ "ticket", "1d", "2h", 10, 24 },  { "ticket", "3d", "6h", 10, 72 },
	};
	for (int i = 0; i < 4; i++) {
		out[i].severity = t[i].sev;
		out[i].long_w = t[i].lw;
		out[i].short_w = t[i].sw;
		out[i].budget_pct = t[i].pct;
		/* pct% of the budget in the long window: 2% of 30d in 1h is 14.4x */
		out[i].factor = t[i].pct * window_days * 24 / (100 * t[i].hours);
	}
}

size_t pmg_alerts(const struct pmg_slo *slo, struct pmg_alert out[6])
{
	size_t n = 0;
	out[n++] = (struct pmg_alert){ "ServiceDown", "page", NULL };
	out[n++] = (struct pmg_alert){ "ReplicaDown", "ticket", NULL };
	if (slo && slo->availability_set) {
		out[n++] = (struct pmg_alert){ "AvailabilitySLOPage", "page", "availability" };
		out[n++] = (struct pmg_alert){ "AvailabilitySLOTicket", "ticket", "availability" };
	}
	if (slo && slo->latency_set) {
		out[n++] = (struct pmg_alert){ "LatencySLOPage", "page", "latency" };
		out[n++] = (struct pmg_alert){ "LatencySLOTicket", "ticket", "latency" };
	}
	return n;
}

char *pmg_anchor(const char *name)
{
	char *a = strdup(name);
	for (char *p = a; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return a;
}

char *pmg_uid(const char *service)
{
	char *uid = NULL;
	size_t n = strlen(service);
	if (n + 6 <= 40) {
		if (asprintf(&uid, "paved-%s", service) < 0)
			uid = NULL;
		return uid;
	}
	unsigned long long x = 1469598103934665603ULL;   /* FNV-1a */
	for (const char *s = service; *s; s++)
		x = (x ^ (unsigned char)*s) * 1099511628211ULL;
	if (asprintf(&uid, "%.23s-%016llx", service, x) < 0)
		uid = NULL;
	return uid;
}
