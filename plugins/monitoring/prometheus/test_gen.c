/*
 * test_gen.c -- the generators of gen.h, directly: the SLO as read from
 * platform.yaml (every refusal names its field), the burn-rate factors,
 * the dashboard uid, the rules text, the Grafana dashboard's shape and
 * the runbook's sections.  promtool checks the rules for real in
 * test_rules.sh; the dashboard's PromQL is parsed by a running Prometheus
 * in test_metrics_e2e.sh.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static json_t *j(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	ck_assert_msg(v != NULL, "bad JSON in test: %s", text);
	return v;
}

/* Parse TEXT; the error message, or NULL when it parsed (OUT filled). */
static char *parse(const char *text, struct pmg_slo *out)
{
	json_t *v = j(text);
	char *err = NULL;
	int rc = pmg_slo_parse(v, out, &err);
	json_decref(v);
	ck_assert_int_eq(rc == 0, err == NULL);
	return err;
}

START_TEST(slo_good)
{
	struct pmg_slo s;
	ck_assert_ptr_null(parse("{\"availability\": 99.9, \"latency\": {\"p99_ms\": 200}, "
	                         "\"window\": \"30d\"}", &s));
	ck_assert(s.availability_set && s.latency_set);
	ck_assert(fabs(s.availability - 99.9) < 1e-9);
	ck_assert_int_eq(s.p99_ms, 200);
	ck_assert_int_eq(s.window_days, 30);
	ck_assert_ptr_null(parse("{\"availability\": 99}", &s));
	ck_assert_int_eq(s.window_days, 30);   /* the default */
	ck_assert(!s.latency_set);
	ck_assert_ptr_null(parse("null", &s));
	ck_assert(!s.availability_set && !s.latency_set);
	ck_assert_ptr_null(parse("{\"window\": \"90d\", \"availability\": 0.5}", &s));
	ck_assert_int_eq(s.window_days, 90);
}
END_TEST

/* Every refusal, with its exact message. */
static const struct { const char *slo, *msg; } bad[] = {
	{ "{\"availability\": 100}", "slo.availability: 100 leaves no error budget to alert on: use "
	  "a percentage below 100, such as 99.9" },
	{ "{\"availability\": 100.5}", "slo.availability: 100.5 leaves no error budget to alert on: "
	  "use a percentage below 100, such as 99.9" },
	{ "{\"availability\": 0}", "slo.availability: must be a percentage above 0, such as 99.9 (not 0)" },
	{ "{\"availability\": -3}", "slo.availability: must be a percentage above 0, such as 99.9 (not -3)" },
	{ "{\"availability\": \"99.9\"}", "slo.availability: must be a percentage such as 99.9" },
	{ "{\"availability\": 99.9, \"window\": \"7d\"}", "slo.window: '7d' is not a window the alert "
	  "generator knows: its burn-rate alerts (the SRE workbook's: 2% of the error budget in 1h, "
	  "5% in 6h, 10% in 1d and in 3d) need 28d to 90d" },
	{ "{\"window\": \"91d\"}", "slo.window: '91d' is not a window the alert generator knows: its "
	  "burn-rate alerts (the SRE workbook's: 2% of the error budget in 1h, 5% in 6h, 10% in 1d "
	  "and in 3d) need 28d to 90d" },
	{ "{\"window\": \"4w\"}", "slo.window: '4w' is not a window the alert generator knows: use a "
	  "number of days from 28d to 90d, such as 30d" },
	{ "{\"window\": \"d\"}", "slo.window: 'd' is not a window the alert generator knows: use a "
	  "number of days from 28d to 90d, such as 30d" },
	{ "{\"window\": \"030d\"}", "slo.window: '030d' is not a window the alert generator knows: "
	  "use a number of days from 28d to 90d, such as 30d" },
	{ "{\"window\": 30}", "slo.window: must be a number of days such as 30d" },
	{ "{\"latency\": 200}", "slo.latency: must be a mapping {p99_ms: N}" },
	{ "{\"latency\": {\"p99_ms\": 0}}", "slo.latency.p99_ms: must be a whole number of "
	  "milliseconds above 0, such as 200" },
	{ "{\"latency\": {\"p99_ms\": 2.5}}", "slo.latency.p99_ms: must be a whole number of "
	  "milliseconds above 0, such as 200" },
	{ "{\"latency\": {}}", "slo.latency.p99_ms: must be a whole number of milliseconds above 0, "
	  "such as 200" },
	{ "{\"latency\": {\"p99_ms\": 20000}}", "slo.latency.p99_ms: 20000 ms is beyond the "
	  "histogram's largest bucket (10 s)" },
	{ "[1]", "slo: must be a mapping (availability, latency, window)" },
};

START_TEST(slo_bad)
{
	struct pmg_slo s;
	char *err = parse(bad[_i].slo, &s);
	ck_assert_msg(err != NULL, "%s was accepted", bad[_i].slo);
	ck_assert_str_eq(err, bad[_i].msg);
	free(err);
}
END_TEST

START_TEST(burns)
{
	struct pmg_burn b[4];
	pmg_burns(30, b);
	const double want[4] = { 14.4, 6, 3, 1 };
	static const char *const lw[4] = { "1h", "6h", "1d", "3d" }, *const sw[4] = { "5m", "30m", "2h", "6h" };
	for (int i = 0; i < 4; i++) {
		ck_assert_msg(fabs(b[i].factor - want[i]) < 1e-9, "factor %d: %g", i, b[i].factor);
		ck_assert_str_eq(b[i].long_w, lw[i]);
		ck_assert_str_eq(b[i].short_w, sw[i]);
		ck_assert_str_eq(b[i].severity, i < 2 ? "page" : "ticket");
	}
	pmg_burns(28, b);   /* Sloth's 28d figures */
	ck_assert(fabs(b[0].factor - 13.44) < 1e-9 && fabs(b[1].factor - 5.6) < 1e-9);
	ck_assert(fabs(b[2].factor - 2.8) < 1e-9 && fabs(b[3].factor - 28.0 / 30) < 1e-9);
}
END_TEST

START_TEST(uid)
{
	char *u = pmg_uid("shop");
	ck_assert_str_eq(u, "paved-shop");
	free(u);
	const char *n34 = "abcdefghij-abcdefghij-abcdefghij-x";     /* 34: paved- + 34 = 40 */
	u = pmg_uid(n34);
	ck_assert_int_eq(strlen(u), 40);
	ck_assert(!strncmp(u, "paved-", 6));
	free(u);
	const char *n63 = "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh";
	char *a = pmg_uid(n63), *b = pmg_uid(n63), *c = pmg_uid("abcdefghij-abcdefghij-abcdefghij-abcdefghij-x");
	ck_assert_int_eq(strlen(a), 40);
	ck_assert_str_eq(a, b);     /* stable */
	ck_assert_str_ne(a, c);     /* and distinct */
	ck_assert_int_le(strlen(c), 40);
	free(a), free(b), free(c);
}
END_TEST

static struct pmg_service svc(const struct pmg_slo *slo)
{
	return (struct pmg_service){ .service = "shop", .owner = "team-a", .slo = slo,
	                             .uid = "paved-shop", .runbook_url = "file:///h/runbooks/shop.md",
	                             .dashboard_url = "http://grafana:3000/d/paved-shop/shop",
	                             .dashboard_file = "/h/dashboards/shop.json" };
}

static bool has(const char *text, const char *what)
{
	return strstr(text, what) != NULL;
}

START_TEST(rules_text)
{
	struct pmg_slo slo;
	ck_assert_ptr_null(parse("{\"availability\": 99.9, \"latency\": {\"p99_ms\": 200}}", &slo));
	struct pmg_service s = svc(&slo);
	char *r = pmg_rules(&s);
	ck_assert_ptr_nonnull(r);
	static const char *const want[] = {
		"groups:\n  - name: paved-shop-red\n",
		"record: service_version:http_server_requests:rate5m",
		"record: service_version:http_server_errors:ratio_rate5m",
		"record: service_version:http_server_request_duration_seconds:p99_rate5m",
		"histogram_quantile(0.99, sum by (service, env, version, le)",
		/* Prometheus's own scrapes are not the users' requests */
		"rate(http_server_request_duration_seconds_count{service=\"shop\",http_route!=\"/metrics\"}[5m])",
		"record: service:slo_availability_errors:ratio_rate3d",
		"record: service:slo_latency_errors:ratio_rate5m",
		/* the workbook's four conditions against a 0.1% budget */
		"service:slo_availability_errors:ratio_rate1h{service=\"shop\"} > 0.0144\n"
		"            and service:slo_availability_errors:ratio_rate5m{service=\"shop\"} > 0.0144",
		"ratio_rate6h{service=\"shop\"} > 0.006\n            and service:slo_availability_errors:"
		"ratio_rate30m{service=\"shop\"} > 0.006",
		"ratio_rate1d{service=\"shop\"} > 0.003",
		"ratio_rate3d{service=\"shop\"} > 0.001\n            and service:slo_availability_errors:"
		"ratio_rate6h{service=\"shop\"} > 0.001",
		/* latency: 1% budget; 200 ms between the 0.1 and 0.25 buckets */
		"service:slo_latency_errors:ratio_rate1h{service=\"shop\"} > 0.144",
		"le=\"0.1\"", "le=\"0.25\"", ") * 0.666667)",
		"- alert: ServiceDown", "- alert: ReplicaDown", "- alert: AvailabilitySLOPage",
		"- alert: AvailabilitySLOTicket", "- alert: LatencySLOPage", "- alert: LatencySLOTicket",
		"severity: page", "severity: ticket", "owner: \"team-a\"",
		"runbook_url: \"file:///h/runbooks/shop.md#availabilityslopage\"",
		"dashboard_url: \"http://grafana:3000/d/paved-shop/shop?orgId=1&var-env={{ $labels.env }}\"",
		"summary: \"shop (env {{ $labels.env }}): 5xx errors burn the 99.9% availability budget "
		"too fast (page)\"",
		NULL };
	for (size_t i = 0; want[i]; i++)
		ck_assert_msg(has(r, want[i]), "the rules lack: %s\n---\n%s", want[i], r);
	free(r);

	/* a bound that is a bucket: no interpolation; no SLO: no SLI group */
	ck_assert_ptr_null(parse("{\"latency\": {\"p99_ms\": 250}}", &slo));
	r = pmg_rules(&s);
	ck_assert(has(r, "1 - sum by (service, env) (rate(http_server_request_duration_seconds_bucket"
	              "{service=\"shop\",http_route!=\"/metrics\",le=\"0.25\"}[5m]))"));
	ck_assert(!has(r, "AvailabilitySLO"));
	free(r);
	ck_assert_ptr_null(parse("null", &slo));
	r = pmg_rules(&s);
	ck_assert(!has(r, "paved-shop-sli") && has(r, "- alert: ServiceDown"));
	free(r);
	/* below the first bucket: a fraction of it */
	ck_assert_ptr_null(parse("{\"latency\": {\"p99_ms\": 2}}", &slo));
	r = pmg_rules(&s);
	ck_assert(has(r, "le=\"0.005\"}[5m])) * 0.4)"));
	free(r);
}
END_TEST

/* Grafana's dashboard model: the fields an import needs, panels that fit
 * the 24-column grid, every target with a refId and an expression. */
START_TEST(dashboard_shape)
{
	struct pmg_slo slo;
	ck_assert_ptr_null(parse("{\"availability\": 99.9, \"latency\": {\"p99_ms\": 200}}", &slo));
	struct pmg_service s = svc(&slo);
	json_t *d = pmg_dashboard(&s), *p, *t;
	ck_assert_ptr_nonnull(d);
	ck_assert(json_is_null(json_object_get(d, "id")));
	ck_assert_str_eq(json_string_value(json_object_get(d, "uid")), "paved-shop");
	ck_assert_str_eq(json_string_value(json_object_get(d, "title")), "shop (paved)");
	ck_assert(json_is_integer(json_object_get(d, "schemaVersion")));
	ck_assert(json_is_integer(json_object_get(d, "version")));
	ck_assert(json_is_string(json_object_get(json_object_get(d, "time"), "from")));
	json_t *tags = json_object_get(d, "tags");
	ck_assert_str_eq(json_string_value(json_array_get(tags, 1)), "paved-shop");
	size_t i, k, names = 0;
	json_array_foreach(json_object_get(json_object_get(d, "templating"), "list"), i, t)
		names += !strcmp(json_string_value(json_object_get(t, "name")), "env") ||
		         !strcmp(json_string_value(json_object_get(t, "name")), "datasource");
	ck_assert_int_eq(names, 2);
	json_t *panels = json_object_get(d, "panels"), *ids = json_object();
	ck_assert_int_ge(json_array_size(panels), 7);
	json_array_foreach(panels, i, p) {
		json_t *g = json_object_get(p, "gridPos");
		char id[16];
		ck_assert(json_is_integer(json_object_get(p, "id")));
		snprintf(id, sizeof id, "%lld", json_integer_value(json_object_get(p, "id")));
		ck_assert_msg(!json_object_get(ids, id), "panel id %s twice", id);
		json_object_set_new(ids, id, json_true());
		ck_assert(json_is_string(json_object_get(p, "type")));
		ck_assert(json_is_string(json_object_get(p, "title")));
		ck_assert(json_is_object(json_object_get(p, "datasource")));
		ck_assert(json_is_integer(json_object_get(g, "h")) && json_is_integer(json_object_get(g, "w")));
		ck_assert(json_is_integer(json_object_get(g, "x")) && json_is_integer(json_object_get(g, "y")));
		ck_assert_int_le(json_integer_value(json_object_get(g, "x")) +
		                 json_integer_value(json_object_get(g, "w")), 24);
		ck_assert_int_ge(json_array_size(json_object_get(p, "targets")), 1);
		json_array_foreach(json_object_get(p, "targets"), k, t) {
			ck_assert(json_is_string(json_object_get(t, "refId")));
			ck_assert(json_is_string(json_object_get(t, "expr")));
		}
	}
	json_t *ex = pmg_dashboard_exprs(d);
	ck_assert_int_ge(json_array_size(ex), 14);
	int burn = 0;
	json_array_foreach(ex, i, t)
		burn += strstr(json_string_value(t), "service:slo_availability_errors:ratio_rate1h") != NULL;
	ck_assert_int_eq(burn, 1);
	json_decref(ex), json_decref(ids), json_decref(d);
}
END_TEST

START_TEST(runbook_sections)
{
	struct pmg_slo slo;
	ck_assert_ptr_null(parse("{\"availability\": 99.9, \"latency\": {\"p99_ms\": 200}}", &slo));
	struct pmg_service s = svc(&slo);
	struct pmg_alert al[6];
	size_t n = pmg_alerts(&slo, al);
	ck_assert_int_eq(n, 6);
	char *rb = pmg_runbook(&s);
	for (size_t i = 0; i < n; i++) {
		char *a = pmg_anchor(al[i].name), want[200];
		snprintf(want, sizeof want, "<a id=\"%s\"></a>\n## %s (%s)\n\n**Meaning.** ", a,
		         al[i].name, al[i].severity);
		char *at = strstr(rb, want);
		ck_assert_msg(at != NULL, "no section for %s", al[i].name);
		char *next = strstr(at + 1, "<a id=");
		char *imp = strstr(at, "**Impact.**"), *dia = strstr(at, "**Diagnosis.**");
		char *mit = strstr(at, "**Mitigation.**");
		ck_assert(imp && dia && mit && (!next || mit < next));
		free(a);
	}
	ck_assert(has(rb, "`paved rollback shop --env ENV`"));
	ck_assert(has(rb, "gone in about 2.1 (or 5) days"));
	ck_assert(!has(rb, "@S") && !has(rb, "@D"));
	free(rb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitoring generators");
	TCase *tc = tcase_create("gen");
	tcase_add_test(tc, slo_good);
	tcase_add_loop_test(tc, slo_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, burns);
	tcase_add_test(tc, uid);
	tcase_add_test(tc, rules_text);
	tcase_add_test(tc, dashboard_shape);
	tcase_add_test(tc, runbook_sections);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
