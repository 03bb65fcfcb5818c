/*
 * test_yaml.c -- the host's YAML reader and writer (host/yaml.c), which
 * plugins reach as api->read_yaml and api->write_yaml.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "testutil.h"

static char *tmp;

static void setup(void)
{
	tmp = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rm_rf(tmp);
	free(tmp);
}

/* Read TEXT (named "t.yaml") with FLAGS; returns the document or NULL with
 * *ERR set. */
static json_t *read_text(const char *text, unsigned flags, char **err)
{
	struct paved_yaml_opts o = { .size = sizeof o, .flags = flags, .text = text };
	json_t *doc = NULL;
	*err = NULL;
	if (pv_yaml_read("t.yaml", &o, &doc, err) != PAVED_OK)
		return NULL;
	return doc;
}

/* Expect TEXT to fail with exactly WANT. */
static void refused(const char *text, const char *want)
{
	char *err = NULL;
	json_t *doc = read_text(text, 0, &err);
	ck_assert_msg(doc == NULL, "accepted: %s", text);
	ck_assert_str_eq(err, want);
	free(err);
}

START_TEST(test_core_schema_scalars)
{
	char *err;
	json_t *d = read_text("a: 1\nb: -0x1f\nc: 0o17\nd: 1.5e3\ne: ~\nf: True\ng: 'true'\n"
	                      "h: yes\ni: .inf\nj: 99999999999999999999\nk: !!str 12\nl: \"\"\n",
	                      0, &err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_int_eq(json_integer_value(json_object_get(d, "a")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(d, "b")), "-0x1f"); /* hex is unsigned */
	ck_assert_int_eq(json_integer_value(json_object_get(d, "c")), 15);
	ck_assert(json_real_value(json_object_get(d, "d")) == 1500.0);
	ck_assert(json_is_null(json_object_get(d, "e")));
	ck_assert(json_is_true(json_object_get(d, "f")));
	ck_assert_str_eq(json_string_value(json_object_get(d, "g")), "true");
	ck_assert_str_eq(json_string_value(json_object_get(d, "h")), "yes");   /* 1.2, not 1.1 */
	ck_assert_str_eq(json_string_value(json_object_get(d, "i")), ".inf");
	ck_assert_str_eq(json_string_value(json_object_get(d, "j")), "99999999999999999999");
	ck_assert_str_eq(json_string_value(json_object_get(d, "k")), "12");
	ck_assert_str_eq(json_string_value(json_object_get(d, "l")), "");
	json_decref(d);
}
END_TEST

/* PAVED_YAML_JS_NUMBERS: what a JavaScript reader (Backstage's) stores as
 * JSON: infinity and NaN are null, big integers the nearest double. */
START_TEST(test_js_numbers)
{
	char *err = NULL;
	const char *text = "a: .inf\nb: -.Inf\nc: .nan\nd: 12345678901234567890\n"
	                   "e: 9007199254740993\nf: 42\ng: '.inf'\nh: 0x1f\n";
	json_t *d = read_text(text, PAVED_YAML_JS_NUMBERS, &err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert(json_is_null(json_object_get(d, "a")));
	ck_assert(json_is_null(json_object_get(d, "b")));
	ck_assert(json_is_null(json_object_get(d, "c")));
	ck_assert(json_is_real(json_object_get(d, "d")));
	ck_assert(json_real_value(json_object_get(d, "d")) == 12345678901234567890.0);
	ck_assert(json_number_value(json_object_get(d, "e")) == 9007199254740992.0);
	ck_assert_int_eq(json_integer_value(json_object_get(d, "f")), 42);
	ck_assert_str_eq(json_string_value(json_object_get(d, "g")), ".inf");   /* quoted */
	ck_assert_int_eq(json_integer_value(json_object_get(d, "h")), 31);
	json_decref(d);
	/* without the flag they stay text */
	d = read_text(text, 0, &err);
	ck_assert_str_eq(json_string_value(json_object_get(d, "a")), ".inf");
	ck_assert_str_eq(json_string_value(json_object_get(d, "d")), "12345678901234567890");
	json_decref(d);
}
END_TEST

START_TEST(test_errors_have_positions)
{
	refused("a: 1\nb: [1, 2\n", "t.yaml:3:1: did not find expected ',' or ']' while parsing a "
	        "flow sequence (started at line 2)");
	refused("a: 1\nb:\n  c: 2\n  c: 3\n", "t.yaml:4:3: duplicate key 'c'");
	refused("a: *nowhere\n", "t.yaml:1:4: unknown alias '*nowhere'");
	refused("? [a, b]\n: 1\n", "t.yaml:1:3: a mapping key must be a scalar");
	refused("a: 1\n---\nb: 2\n", "t.yaml:2:1: a second document; one was expected");
	refused("ok: 1\nbad: \"\x01\"\n", "t.yaml:2:7: control characters are not allowed (byte 12)");
}
END_TEST

/* A NUL ("\0") would cut a string where C code uses it (the fuzzer's find:
 * platform.yaml's service "a\0b" passed as "a"): refused by default, kept
 * with PAVED_YAML_NUL, never in a key; written back as the escape. */
START_TEST(test_nul_bytes)
{
	char *err = NULL;
	ck_assert_ptr_null(read_text("service: \"a\\0b\"\n", 0, &err));
	ck_assert_str_eq(err, "t.yaml:1:10: a string holds a NUL byte; refused");
	free(err);
	ck_assert_ptr_null(read_text("\"k\\0\": 1\n", PAVED_YAML_NUL, &err));
	ck_assert_str_eq(err, "t.yaml:1:1: a key holds a NUL byte; refused");
	free(err);
	json_t *d = read_text("s: \"a\\0b\"\n", PAVED_YAML_NUL, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_string_length(json_object_get(d, "s")), 3);
	char *path = tu_join(tmp, "nul.yaml");
	FILE *f = fopen(path, "w");
	ck_assert_int_eq(pv_yaml_write(f, d, 0, &err), PAVED_OK);
	fclose(f);
	json_t *back = NULL;
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_NUL };
	ck_assert_int_eq(pv_yaml_read(path, &o, &back, &err), PAVED_OK);
	ck_assert(json_equal(d, back));
	json_decref(d), json_decref(back), free(path);
}
END_TEST

START_TEST(test_limits)
{
	/* an alias bomb stops at the node limit, before anything expands */
	struct paved_yaml_opts o = { .size = sizeof o, .max_nodes = 1000, .text =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" };
	json_t *doc = NULL;
	char *err = NULL;
	ck_assert_int_eq(pv_yaml_read("bomb.yaml", &o, &doc, &err), PAVED_ERR);
	ck_assert(tu_contains(err, "bomb.yaml:3:36: document expands to more than 1000 nodes"));
	free(err), err = NULL;
	/* at most 100 aliases per document by default, as Backstage's parser */
	char text[2000] = "a: &a 1\nb: [";
	for (int i = 0; i < 101; i++)
		strcat(text, i ? ", *a" : "*a");
	strcat(text, "]\n");
	ck_assert_ptr_null(read_text(text, 0, &err));
	ck_assert_str_eq(err, "t.yaml:2:405: more than 100 aliases in one document; refused");
	free(err), err = NULL;
	text[strlen(text) - 6] = ']', text[strlen(text) - 5] = '\0';   /* 100 are fine */
	json_decref(doc = read_text(text, 0, &err));
	ck_assert_msg(doc != NULL, "%s", err);
	/* nesting */
	char deep[400] = "";
	for (int i = 0; i < 70; i++)
		strcat(deep, "[");
	ck_assert_ptr_null(read_text(deep, 0, &err));
	ck_assert_str_eq(err, "t.yaml:1:65: nesting deeper than 64 levels");
	free(err), err = NULL;
	/* size */
	char *path = tu_join(tmp, "big.yaml");
	tu_write_file(path, "a: 0123456789\n");
	o = (struct paved_yaml_opts){ .size = sizeof o, .max_bytes = 10 };
	ck_assert_int_eq(pv_yaml_read(path, &o, &doc, &err), PAVED_ERR);
	ck_assert(tu_contains(err, "big.yaml: 14 bytes is more than the 10 allowed; refused"));
	free(err), free(path);
}
END_TEST

START_TEST(test_files_and_documents)
{
	char *path = tu_join(tmp, "docs.yaml"), *err = NULL;
	json_t *doc = NULL, *marks = NULL;
	tu_write_file(path, "a: 1\n---\nb:\n  - x\n  - y/z: 2\n");
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_ALL_DOCS | PAVED_YAML_MARKS,
	                             .marks = &marks };
	ck_assert_int_eq(pv_yaml_read(path, &o, &doc, &err), PAVED_OK);
	ck_assert_int_eq(json_array_size(doc), 2);
	ck_assert_int_eq(json_array_size(marks), 2);
	json_t *m = json_object_get(json_array_get(marks, 1), "/b/1/y~1z");
	ck_assert_int_eq(json_integer_value(json_array_get(m, 0)), 5);    /* line */
	ck_assert_int_eq(json_integer_value(json_array_get(m, 1)), 10);   /* column */
	ck_assert_ptr_nonnull(json_object_get(json_array_get(marks, 1), "/b"));
	json_decref(doc), json_decref(marks);
	/* missing file, directory, empty file */
	ck_assert_int_eq(pv_yaml_read("/nonexistent/p.yaml", NULL, &doc, &err), PAVED_ERR);
	ck_assert_str_eq(err, "/nonexistent/p.yaml: cannot open: No such file or directory");
	free(err), err = NULL;
	ck_assert_int_eq(pv_yaml_read(tmp, NULL, &doc, &err), PAVED_ERR);
	ck_assert(tu_contains(err, ": is a directory, not a file"));
	free(err), err = NULL;
	tu_write_file(path, "");
	ck_assert_int_eq(pv_yaml_read(path, NULL, &doc, &err), PAVED_OK);
	ck_assert(json_is_null(doc));
	free(path);
}
END_TEST

static int count_docs(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **errmsg)
{
	(void)errmsg;
	int *n = ud;
	ck_assert_int_eq(where->index, *n);
	ck_assert_int_eq(where->line, *n ? 2 * *n : 1);   /* at its "---" */
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "n")), *n);
	return ++*n == 3 ? 1 : 0;   /* stop after three */
}

START_TEST(test_stream)
{
	int n = 0;
	json_t *doc = json_true();
	char *err = NULL;
	struct paved_yaml_opts o = { .size = sizeof o, .each = count_docs, .ud = &n,
		.text = "n: 0\n---\nn: 1\n---\nn: 2\n---\nn: 3\n" };
	ck_assert_int_eq(pv_yaml_read("s.yaml", &o, &doc, &err), PAVED_OK);
	ck_assert_int_eq(n, 3);
	ck_assert_ptr_null(doc);
}
END_TEST

START_TEST(test_write_round_trip)
{
	char *path = tu_join(tmp, "out.yaml"), *err = NULL;
	json_t *in = json_pack("{s:s s:s s:s s:s s:s s:i s:f s:n s:[s]}", "a", "yes", "b", "on",
	                       "c", "12", "d", "null", "e", "plain text", "f", 7, "g", 2.5, "h",
	                       "i", "x: y");
	FILE *f = fopen(path, "w");
	ck_assert_int_eq(pv_yaml_write(f, in, 0, &err), PAVED_OK);
	fclose(f);
	char *text = tu_read_file(path);
	ck_assert(tu_contains(text, "a: \"yes\"\n"));   /* a YAML 1.1 reader would read a boolean */
	ck_assert(tu_contains(text, "b: \"on\"\n"));
	ck_assert(tu_contains(text, "c: \"12\"\n"));
	ck_assert(tu_contains(text, "e: plain text\n"));
	json_t *back = NULL;
	ck_assert_int_eq(pv_yaml_read(path, NULL, &back, &err), PAVED_OK);
	ck_assert(json_equal(in, back));
	json_decref(in), json_decref(back), free(text), free(path);
}
END_TEST

/* Text is UTF-8 by the time it is JSON: libyaml refuses malformed bytes
 * and escapes of surrogates (the reader stores what libyaml hands over
 * without checking it again); keys taken over from libyaml's buffers
 * and multi-byte text arrive intact, aliases as keys too. */
START_TEST(test_utf8_text)
{
	char *err;
	refused("a: \"x \\ud800 y\"\n", "t.yaml:1:9: found invalid Unicode character escape "
	        "code while parsing a quoted scalar (started at line 1)");
	refused("a: \"x \xed\xa0\x80\"\n", "t.yaml:1:7: invalid Unicode character (byte 6)");
	refused("a: x \xc0\xaf\n", "t.yaml:1:6: invalid length of a UTF-8 sequence (byte 5)");
	refused("a: x \xff\n", "t.yaml:1:6: invalid leading UTF-8 octet (byte 5)");
	json_t *d = read_text("\xc3\xa9t\xc3\xa9: \"\\u65e5 \\U0001F600 \\xe9\"\nk: &n \xe2\x82\xac\n"
	                      "m: {*n : 1, 'q': 2}\n", 0, &err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_str_eq(json_string_value(json_object_get(d, "\xc3\xa9t\xc3\xa9")),
	                 "\xe6\x97\xa5 \xf0\x9f\x98\x80 \xc3\xa9");
	ck_assert_str_eq(json_string_value(json_object_get(d, "k")), "\xe2\x82\xac");
	json_t *m = json_object_get(d, "m");
	ck_assert_int_eq(json_integer_value(json_object_get(m, "\xe2\x82\xac")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "q")), 2);
	char *text = json_dumps(d, JSON_COMPACT);   /* jansson's own check agrees */
	ck_assert_ptr_nonnull(text);
	free(text);
	json_decref(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("yaml");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_core_schema_scalars);
	tcase_add_test(tc, test_js_numbers);
	tcase_add_test(tc, test_errors_have_positions);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_test(tc, test_utf8_text);
	tcase_add_test(tc, test_files_and_documents);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_write_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
