/* test_template.c - Check suite for host/template.c.
 *
 * Runs every case of the non-optional Mustache spec files (one Check loop
 * iteration per case) plus unit tests for error reporting and robustness.
 * The spec data lives in $PAVED_TESTDATA/mustache-spec (default: the
 * compile-time PV_TESTDATA_DIR, else ../shared/testdata next to the source
 * tree).  Without it the spec cases are skipped and, if the unit tests pass,
 * the program exits 77 (automake's SKIP).
 */
#include "template.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_SKIP 77

static const char *const spec_files[] = {
    "comments", "delimiters", "interpolation", "inverted", "partials", "sections",
};
#define N_SPEC_FILES (sizeof spec_files / sizeof spec_files[0])

/* One spec case: the file it came from and its JSON (borrowed from roots). */
typedef struct {
    const char *file;
    json_t *test;
} spec_case;

static json_t *g_roots[N_SPEC_FILES];
static spec_case *g_cases;
static size_t g_ncases;

/* ---- helpers ------------------------------------------------------------ */

/* Returns a malloc'd copy of S (caller frees), or NULL. */
static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

/* Partial callback over a JSON object of name -> template (DATA, borrowed). */
static char *json_partials(const char *name, void *data)
{
    json_t *s = json_object_get(data, name);
    return json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
}

/* Partial callback: every partial includes itself, forever. */
static char *self_partial(const char *name, void *data)
{
    (void)name;
    (void)data;
    return xstrdup("x{{>self}}");
}

/* Returns the test data directory: $PAVED_TESTDATA, PV_TESTDATA_DIR, or
 * ../shared/testdata relative to the source tree (derived from __FILE__).
 * The result is malloc'd; the caller frees it. */
static char *testdata_dir(void)
{
    const char *env = getenv("PAVED_TESTDATA");
    if (env && *env)
        return xstrdup(env);
#ifdef PV_TESTDATA_DIR
    return xstrdup(PV_TESTDATA_DIR);
#else
    {
        const char *file = __FILE__, *slash = strrchr(file, '/');
        size_t dlen = slash ? (size_t)(slash - file) : 1;
        const char *tail = "/../../shared/testdata";
        char *d = malloc(dlen + strlen(tail) + 1);
        if (d) {
            memcpy(d, slash ? file : ".", dlen);
            strcpy(d + dlen, tail);
        }
        return d;
    }
#endif
}

/* Loads the spec files from DIR/mustache-spec into g_roots/g_cases.
 * Returns 1 when loaded, 0 when no spec file exists (skip), -1 on a
 * partial or malformed data set. */
static int load_spec(const char *dir)
{
    size_t i, k, present = 0;
    char path[4096];

    for (i = 0; i < N_SPEC_FILES; i++) {
        FILE *f;
        snprintf(path, sizeof path, "%s/mustache-spec/%s.json", dir, spec_files[i]);
        if ((f = fopen(path, "r")) != NULL) {
            fclose(f);
            present++;
        }
    }
    if (present == 0)
        return 0;
    for (i = 0; i < N_SPEC_FILES; i++) {
        json_error_t jerr;
        json_t *tests;
        snprintf(path, sizeof path, "%s/mustache-spec/%s.json", dir, spec_files[i]);
        g_roots[i] = json_load_file(path, 0, &jerr);
        tests = json_object_get(g_roots[i], "tests");
        if (!json_is_array(tests)) {
            fprintf(stderr, "%s: cannot load spec tests: %s\n", path, jerr.text);
            return -1;
        }
        spec_case *nc = realloc(g_cases, (g_ncases + json_array_size(tests)) * sizeof *nc);
        if (!nc)
            return -1;
        g_cases = nc;
        for (k = 0; k < json_array_size(tests); k++) {
            g_cases[g_ncases].file = spec_files[i];
            g_cases[g_ncases++].test = json_array_get(tests, k);
        }
    }
    return 1;
}

static void free_spec(void)
{
    size_t i;
    for (i = 0; i < N_SPEC_FILES; i++)
        json_decref(g_roots[i]);
    free(g_cases);
}

/* Renders spec case C and compares with its expectation.  Returns 1 on a
 * match; otherwise 0 with a description of the mismatch in WHY. */
static int run_spec_case(const spec_case *c, char *why, size_t whylen)
{
    json_t *t = c->test;
    const char *name = json_string_value(json_object_get(t, "name"));
    json_t *tmpl = json_object_get(t, "template"), *exp = json_object_get(t, "expected");
    char *out = NULL, *err = NULL;
    size_t out_len = 0;
    int rc, ok;

    rc = pv_render(json_string_value(tmpl), json_string_length(tmpl), json_object_get(t, "data"),
                   json_partials, json_object_get(t, "partials"), &out, &out_len, &err);
    ok = rc == 0 && out_len == json_string_length(exp)
      && memcmp(out, json_string_value(exp), out_len) == 0;
    if (!ok && rc != 0)
        snprintf(why, whylen, "%s: %s: error: %s", c->file, name, err ? err : "(null)");
    else if (!ok)
        snprintf(why, whylen, "%s: %s: expected \"%s\", got \"%s\"", c->file, name,
                 json_string_value(exp), out);
    free(out);
    free(err);
    return ok;
}

/* Renders TMPL with pv_render (partials from FN) over JSON text DATA and
 * checks that it fails with exactly WANT. */
static void expect_error(const char *tmpl, const char *data, pv_partial_fn fn, const char *want)
{
    json_t *ctx = json_loads(data, 0, NULL);
    char *out = (char *)"unset", *err = NULL;
    int rc = pv_render(tmpl, strlen(tmpl), ctx, fn, NULL, &out, NULL, &err);
    int ok = rc == -1 && out == NULL && err && strcmp(err, want) == 0;
    char got[512];

    snprintf(got, sizeof got, "%s", err ? err : "(null)");
    free(err);
    json_decref(ctx);
    ck_assert_msg(ok, "template \"%s\": rc=%d, want error \"%s\", got \"%s\"", tmpl, rc, want, got);
}

/* Renders TMPL (escaped or raw) over JSON text DATA and checks the output. */
static void expect_output(const char *tmpl, const char *data, int raw, const char *want)
{
    json_t *ctx = json_loads(data, 0, NULL);
    char *out = NULL, *err = NULL, got[512];
    int rc = raw ? pv_render_raw(tmpl, ctx, &out, &err)
                 : pv_render(tmpl, strlen(tmpl), ctx, NULL, NULL, &out, NULL, &err);

    snprintf(got, sizeof got, "%s", rc == 0 ? out : err ? err : "(null)");
    free(out);
    free(err);
    json_decref(ctx);
    ck_assert_msg(rc == 0 && strcmp(got, want) == 0, "template \"%s\": want \"%s\", got \"%s\"",
                  tmpl, want, got);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_spec_case)
{
    char why[2048];
    ck_assert_msg(run_spec_case(&g_cases[_i], why, sizeof why), "%s", why);
}
END_TEST

START_TEST(test_unclosed_tag)
{
    expect_error("{{name", "{}", NULL, "1:1: unclosed tag '{{name'");
    expect_error("line1\nline2\nabcd{{name\nmore", "{}", NULL, "3:5: unclosed tag '{{name'");
    expect_error("{{{name}}", "{}", NULL, "1:1: unclosed tag '{{{name}}'");
}
END_TEST

START_TEST(test_unclosed_section)
{
    expect_error("{{#a}}x", "{}", NULL, "1:1: unclosed section 'a'");
    expect_error("\n  {{^items}}\n", "{}", NULL, "2:3: unclosed section 'items'");
}
END_TEST

START_TEST(test_mismatched_close)
{
    expect_error("{{#a}}{{/b}}", "{}", NULL, "1:7: section 'a' closed by 'b'");
    expect_error("x\n  {{/b}}", "{}", NULL, "2:3: unexpected closing tag 'b'");
}
END_TEST

START_TEST(test_bad_delimiters)
{
    expect_error("{{=<% =}}", "{}", NULL, "1:1: bad set-delimiter tag '{{=<% =}}'");
    expect_error("{{=<% % %>=}}", "{}", NULL, "1:1: bad set-delimiter tag '{{=<% % %>=}}'");
    expect_error("{{=a= b=}}", "{}", NULL, "1:1: bad set-delimiter tag '{{=a= b=}}'");
    expect_error("{{ }}", "{}", NULL, "1:1: empty tag");
}
END_TEST

START_TEST(test_partial_recursion)
{
    expect_error("{{>self}}", "{}", self_partial,
                 "1:2: partial nesting too deep (limit 64) at 'self' (in partial 'self')");
}
END_TEST

START_TEST(test_error_in_partial)
{
    json_t *partials = json_pack("{s:s}", "p", "ok\n{{#a}}{{/b}}");
    char *out = NULL, *err = NULL;
    int rc = pv_render("{{>p}}", 6, NULL, json_partials, partials, &out, NULL, &err);

    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err, "2:7: section 'a' closed by 'b' (in partial 'p')");
    free(err);
    /* standalone: the partial is indented, but columns are the partial's own */
    rc = pv_render("x\n    {{>p}}\n", 13, NULL, json_partials, partials, &out, NULL, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(err, "2:7: section 'a' closed by 'b' (in partial 'p')");
    free(err);
    json_decref(partials);
}
END_TEST

START_TEST(test_deep_sections)
{
    enum { DEPTH = 2000 };
    char *tmpl = malloc(DEPTH * 12 + 1), *p = tmpl, *out = NULL, *err = NULL;
    json_t *ctx = json_pack("{s:b}", "a", 1);
    int i, rc;

    for (i = 0; i < DEPTH; i++)
        p += sprintf(p, "{{#a}}");
    for (i = 0; i < DEPTH; i++)
        p += sprintf(p, "{{/a}}");
    rc = pv_render(tmpl, strlen(tmpl), ctx, NULL, NULL, &out, NULL, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(err, "1:3073: sections and partials nested too deep (limit 512)");
    free(err);
    free(tmpl);
    json_decref(ctx);
}
END_TEST

START_TEST(test_raw_and_escaping)
{
    expect_output("{{x}}", "{\"x\": \"a&b\"}", 1, "a&b");
    expect_output("{{x}}/{{y.z}}", "{\"x\": \"<a>\", \"y\": {\"z\": 3}}", 1, "<a>/3");
    expect_output("{{x}}", "{\"x\": \"a&b\"}", 0, "a&amp;b");
    expect_output("{{x}}|{{{x}}}|{{&x}}", "{\"x\": \"\\\"<&>'\"}", 0,
                  "&quot;&lt;&amp;&gt;'|\"<&>'|\"<&>'");
}
END_TEST

START_TEST(test_values)
{
    expect_output("{{a}} {{b}} {{c}} {{d}} {{e}}|{{f}}",
                  "{\"a\": 1.5, \"b\": 2.0, \"c\": -7, \"d\": true, \"e\": false, \"f\": null}",
                  1, "1.5 2 -7 true false|");
    expect_output("{{l}} {{o}}", "{\"l\": [1, \"x\"], \"o\": {\"k\": null}}", 1,
                  "[1,\"x\"] {\"k\":null}");
    expect_output("{{#l}}{{.}},{{/l}}{{^e}}empty{{/e}}", "{\"l\": [0.1, 0.2], \"e\": []}", 1,
                  "0.1,0.2,empty");
}
END_TEST

START_TEST(test_bad_arguments)
{
    char *out = NULL, *err = NULL;

    ck_assert_int_eq(pv_render(NULL, 3, NULL, NULL, NULL, &out, NULL, &err), -1);
    ck_assert_str_eq(err, "1:1: invalid arguments");
    free(err);
    ck_assert_int_eq(pv_render("x", 1, NULL, NULL, NULL, NULL, NULL, NULL), -1);
    /* only LEN bytes are read: "{{a}" is an unclosed tag */
    ck_assert_int_eq(pv_render("{{a}}b", 4, NULL, NULL, NULL, &out, NULL, &err), -1);
    ck_assert_str_eq(err, "1:1: unclosed tag '{{a}'");
    free(err);
    ck_assert_int_eq(pv_render("{{a}}b", 6, NULL, NULL, NULL, &out, NULL, NULL), 0);
    ck_assert_str_eq(out, "b");
    free(out);
}
END_TEST

/* Sections over lists nested in each other multiply their bodies: 60 bytes
 * of template and a 10-item list ask for 10^9 (the fuzzer's find); the
 * render stops with an error instead of running for a minute. */
START_TEST(test_step_bound)
{
    expect_error("{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}"
                 "{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}", "{\"a\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}",
                 NULL, "1:49: rendering stopped: more than the allowed steps (sections "
                 "repeated inside sections?)");
    /* 10^5 bodies are fine */
    const char *t = "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}.{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}x";
    json_t *ctx = json_loads("{\"a\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}", 0, NULL);
    char *out = NULL, *err = NULL;
    size_t n = 0;
    ck_assert_int_eq(pv_render(t, strlen(t), ctx, NULL, NULL, &out, &n, &err), 0);
    ck_assert_uint_eq(n, 100001);
    free(out);
    json_decref(ctx);
}
END_TEST

/* Renders many random templates built from Mustache fragments: each must
 * either succeed or fail with a one-line "line:col: ..." message. */
START_TEST(test_random_templates)
{
    static const char *const frags[] = {
        "{{", "}}", "{{{", "}}}", "#", "^", "/", ">", "!", "=", "&", "a", "b", ".", " ",
        "\n", "\r\n", "x", "<%", "%>", "{{#a}}", "{{/a}}", "{{^b}}", "{{/b}}", "{{>p}}",
        "{{=<% %>=}}", "<%={{ }}=%>", "{{.}}", "{{a.b}}", "  {{>q}}\n", "{{! c }}",
    };
    json_t *ctx = json_loads("{\"a\": [1, {\"b\": \"<x>\"}, [true]], \"b\": false}", 0, NULL);
    json_t *partials = json_pack("{s:s,s:s}", "p", "{{#a}}{{>p}}{{/a}}", "q", "{{a}}\n{{>q}}");
    unsigned seed = 12345;
    int iter;

    for (iter = 0; iter < 3000; iter++) {
        char tmpl[512] = "", *out = NULL, *err = NULL;
        int nfrag = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 24, k, rc;
        for (k = 0; k < nfrag; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(tmpl, frags[(seed >> 16) % (sizeof frags / sizeof frags[0])]);
        }
        rc = pv_render(tmpl, strlen(tmpl), ctx, json_partials, partials, &out, NULL, &err);
        if (rc == 0)
            ck_assert_msg(out && !err, "template \"%s\"", tmpl);
        else
            ck_assert_msg(!out && err && err[0] >= '1' && err[0] <= '9' && !strchr(err, '\n'),
                          "template \"%s\": bad error \"%s\"", tmpl, err ? err : "(null)");
        free(out);
        free(err);
    }
    json_decref(ctx);
    json_decref(partials);
}
END_TEST

/* ---- main --------------------------------------------------------------- */

/* Builds the suite; the spec test case is included only when data loaded. */
static Suite *template_suite(int have_spec)
{
    Suite *s = suite_create("template");
    TCase *units = tcase_create("errors");

    if (have_spec) {
        TCase *spec = tcase_create("mustache-spec");
        tcase_add_loop_test(spec, test_spec_case, 0, (int)g_ncases);
        suite_add_tcase(s, spec);
    }
    tcase_add_test(units, test_unclosed_tag);
    tcase_add_test(units, test_unclosed_section);
    tcase_add_test(units, test_mismatched_close);
    tcase_add_test(units, test_bad_delimiters);
    tcase_add_test(units, test_step_bound);
    tcase_add_test(units, test_partial_recursion);
    tcase_add_test(units, test_error_in_partial);
    tcase_add_test(units, test_deep_sections);
    tcase_add_test(units, test_raw_and_escaping);
    tcase_add_test(units, test_values);
    tcase_add_test(units, test_bad_arguments);
    tcase_add_test(units, test_random_templates);
    tcase_set_timeout(units, 60);
    suite_add_tcase(s, units);
    return s;
}

int main(void)
{
    char *dir = testdata_dir();
    int have_spec, nfailed;
    SRunner *sr;

    if (!dir)
        return EXIT_FAILURE;
    have_spec = load_spec(dir);
    if (have_spec < 0) {
        free(dir);
        free_spec();
        return EXIT_FAILURE;
    }
    if (have_spec) {
        size_t i, passed = 0;
        char why[2048];
        for (i = 0; i < g_ncases; i++)
            passed += (size_t)run_spec_case(&g_cases[i], why, sizeof why);
        printf("mustache spec: %zu passed, %zu failed\n", passed, g_ncases - passed);
    } else {
        const char *ci = getenv("CI");
        printf("mustache spec data not found in %s/mustache-spec; skipping spec cases\n", dir);
        if (ci && strcmp(ci, "true") == 0) {   /* in CI a missing data set is a failure */
            printf("FAIL: CI=true and the shared test data is missing\n");
            free(dir);
            free_spec();
            return EXIT_FAILURE;
        }
    }
    fflush(stdout);
    free(dir);

    sr = srunner_create(template_suite(have_spec));
    srunner_run_all(sr, CK_NORMAL);
    nfailed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free_spec();
    if (nfailed)
        return EXIT_FAILURE;
    return have_spec ? EXIT_SUCCESS : EXIT_SKIP;
}
