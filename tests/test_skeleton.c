/* test_skeleton.c - Check suite for host/skeleton.c: pv_render_tree renders
 * file names and contents, copies binary files byte for byte, keeps modes,
 * refuses an existing target, and leaves nothing behind when it fails.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "host.h"
#include "proc.h"
#include "skeleton.h"

static char g_tmp[PATH_MAX], g_src[PATH_MAX + 16], g_dst[PATH_MAX + 16];

static const unsigned char binary[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d, '{', '{', 'n', 'a', 'm', 'e',
	'}', '}', 0, 0xff, 0xfe, '\n', '{', '{', '#', 'x', '}', '}', 0,
};

static void put(const char *rel, const void *data, size_t n, mode_t mode)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", g_src, rel);
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void put_text(const char *rel, const char *text, mode_t mode)
{
	put(rel, text, strlen(text), mode);
}

static void sub(const char *rel)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", g_src, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

/* Contents of DST/REL (caller frees), NULL when absent. */
static char *got(const char *rel, size_t *n)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", g_dst, rel);
	return pv_read_file(path, n, NULL);
}

static mode_t mode_of(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", g_dst, rel);
	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(g_tmp, sizeof g_tmp, "%s/paved-test-skel.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(g_tmp));
	snprintf(g_src, sizeof g_src, "%s/skel", g_tmp);
	snprintf(g_dst, sizeof g_dst, "%s/out", g_tmp);
	ck_assert_int_eq(mkdir(g_src, 0755), 0);
}

static void teardown(void)
{
	pv_rm_rf(g_tmp, NULL);
}

START_TEST(renders_names_and_contents)
{
	put_text("README.md", "# {{name}}\n{{#db}}db: {{db}}\n{{/db}}{{^db}}no db\n{{/db}}", 0644);
	put_text("{{name}}.conf", "port={{port}}\nname=\"{{name}}\" & {{{raw}}}\n", 0644);
	put_text("escaped.txt", "{{raw}}\n", 0644);
	sub("src");
	sub("src/{{name}}-lib");
	put_text("src/{{name}}-lib/{{name}}.c", "/* {{name}} */\n", 0644);
	sub(".github");
	put_text(".github/ci.yml", "name: {{name}} ci\n", 0644);
	json_t *ctx = json_pack("{ss si ss sb}", "name", "payment-api", "port", 8080, "raw", "<x>",
	                        "db", 0);
	int count = -1;
	char *err = NULL;
	ck_assert_msg(pv_render_tree(g_src, g_dst, ctx, &count, &err) == PAVED_OK, "%s", err);
	json_decref(ctx);
	ck_assert_int_eq(count, 5);
	char *s = got("escaped.txt", NULL);
	ck_assert_str_eq(s, "&lt;x&gt;\n");
	free(s);
	s = got("README.md", NULL);
	ck_assert_str_eq(s, "# payment-api\nno db\n");
	free(s);
	s = got("payment-api.conf", NULL);
	ck_assert_str_eq(s, "port=8080\nname=\"payment-api\" & <x>\n");
	free(s);
	s = got("src/payment-api-lib/payment-api.c", NULL);
	ck_assert_str_eq(s, "/* payment-api */\n");
	free(s);
	s = got(".github/ci.yml", NULL);
	ck_assert_str_eq(s, "name: payment-api ci\n");
	free(s);
	ck_assert_ptr_null(got("{{name}}.conf", NULL));
}
END_TEST

START_TEST(copies_binary_verbatim)
{
	put("logo.png", binary, sizeof binary, 0644);
	put("empty", "", 0, 0644);
	json_t *ctx = json_pack("{ss sb}", "name", "svc", "x", 1);
	int count;
	char *err = NULL;
	ck_assert_msg(pv_render_tree(g_src, g_dst, ctx, &count, &err) == PAVED_OK, "%s", err);
	json_decref(ctx);
	ck_assert_int_eq(count, 2);
	size_t n;
	char *s = got("logo.png", &n);
	ck_assert_uint_eq(n, sizeof binary);
	ck_assert_int_eq(memcmp(s, binary, n), 0);
	free(s);
	s = got("empty", &n);
	ck_assert_uint_eq(n, 0);
	free(s);
}
END_TEST

START_TEST(keeps_modes)
{
	put_text("run.sh", "#!/bin/sh\necho {{name}}\n", 0755);
	put_text("secret.env", "TOKEN={{name}}\n", 0600);
	put_text("plain.txt", "x\n", 0644);
	put("tool.bin", binary, sizeof binary, 0750);
	json_t *ctx = json_pack("{ss}", "name", "svc");
	int count;
	char *err = NULL;
	mode_t old = umask(077);   /* modes are kept whatever the umask */
	int rc = pv_render_tree(g_src, g_dst, ctx, &count, &err);
	umask(old);
	ck_assert_msg(rc == PAVED_OK, "%s", err);
	json_decref(ctx);
	ck_assert_int_eq(mode_of("run.sh"), 0755);
	ck_assert_int_eq(mode_of("secret.env"), 0600);
	ck_assert_int_eq(mode_of("plain.txt"), 0644);
	ck_assert_int_eq(mode_of("tool.bin"), 0750);
	char *s = got("run.sh", NULL);
	ck_assert_str_eq(s, "#!/bin/sh\necho svc\n");
	free(s);
}
END_TEST

START_TEST(refuses_existing_target)
{
	put_text("a.txt", "{{name}}\n", 0644);
	ck_assert_int_eq(mkdir(g_dst, 0755), 0);
	char keep[PATH_MAX * 2];
	snprintf(keep, sizeof keep, "%s/keep.txt", g_dst);
	FILE *f = fopen(keep, "w");
	fputs("mine\n", f);
	fclose(f);
	json_t *ctx = json_pack("{ss}", "name", "svc");
	int count;
	char *err = NULL;
	ck_assert_int_eq(pv_render_tree(g_src, g_dst, ctx, &count, &err), PAVED_ERR);
	json_decref(ctx);
	char want[PATH_MAX * 2];
	snprintf(want, sizeof want, "%s already exists; choose another name or remove it", g_dst);
	ck_assert_str_eq(err, want);
	free(err);
	/* what was there is untouched */
	ck_assert(exists(keep));
	char *s = got("keep.txt", NULL);
	ck_assert_str_eq(s, "mine\n");
	free(s);
	ck_assert(!exists(g_dst) || got("a.txt", NULL) == NULL);
}
END_TEST

START_TEST(removes_target_on_unclosed_tag)
{
	/* files are rendered in name order: a.txt succeeds, then b.md fails */
	put_text("a.txt", "fine {{name}}\n", 0644);
	sub("b");
	put_text("b/b.md", "# {{name}}\n\nOwned by {{owner\nmore\n", 0644);
	json_t *ctx = json_pack("{ss}", "name", "svc");
	int count;
	char *err = NULL;
	ck_assert_int_eq(pv_render_tree(g_src, g_dst, ctx, &count, &err), PAVED_ERR);
	json_decref(ctx);
	ck_assert_msg(strncmp(err, "skeleton/b/b.md:3:10: unclosed tag", 34) == 0, "%s", err);
	free(err);
	ck_assert_msg(!exists(g_dst), "%s was left behind", g_dst);
}
END_TEST

START_TEST(removes_target_on_unclosed_section)
{
	put_text("a.txt", "{{#items}}\n{{.}}\n", 0644);
	json_t *ctx = json_pack("{s[ss]}", "items", "x", "y");
	int count;
	char *err = NULL;
	ck_assert_int_eq(pv_render_tree(g_src, g_dst, ctx, &count, &err), PAVED_ERR);
	json_decref(ctx);
	ck_assert_str_eq(err, "skeleton/a.txt:1:1: unclosed section 'items'");
	free(err);
	ck_assert(!exists(g_dst));
}
END_TEST

/* Values of a {{dest}} directory name that must not escape the target. */
static const char *const escapes[] = { "..", ".", "", "a/b", "../../etc" };

START_TEST(refuses_escaping_names)
{
	put_text("a.txt", "first\n", 0644);
	sub("{{dest}}");
	put_text("{{dest}}/ESCAPED.txt", "escaped\n", 0644);
	json_t *ctx = json_pack("{ss}", "dest", escapes[_i]);
	int count;
	char *err = NULL;
	ck_assert_int_eq(pv_render_tree(g_src, g_dst, ctx, &count, &err), PAVED_ERR);
	json_decref(ctx);
	char want[256];
	snprintf(want, sizeof want, "skeleton/{{dest}}: the name renders to '%s', which would "
	         "escape the target directory; check the template variables", escapes[_i]);
	ck_assert_str_eq(err, want);
	free(err);
	ck_assert(!exists(g_dst));
	char out[PATH_MAX * 2];
	snprintf(out, sizeof out, "%s/ESCAPED.txt", g_tmp);
	ck_assert(!exists(out));
}
END_TEST

START_TEST(refuses_symlinks)
{
	put_text("a.txt", "x\n", 0644);
	char link[PATH_MAX * 2];
	snprintf(link, sizeof link, "%s/link", g_src);
	ck_assert_int_eq(symlink("/etc/passwd", link), 0);
	json_t *ctx = json_object();
	int count;
	char *err = NULL;
	ck_assert_int_eq(pv_render_tree(g_src, g_dst, ctx, &count, &err), PAVED_ERR);
	json_decref(ctx);
	ck_assert_str_eq(err, "skeleton/link: only files and directories are allowed");
	free(err);
	ck_assert(!exists(g_dst));
}
END_TEST

START_TEST(missing_skeleton)
{
	json_t *ctx = json_object();
	int count;
	char *err = NULL, src[PATH_MAX * 2];
	snprintf(src, sizeof src, "%s/nope", g_tmp);
	ck_assert_int_eq(pv_render_tree(src, g_dst, ctx, &count, &err), PAVED_ERR);
	json_decref(ctx);
	char want[PATH_MAX * 3];
	snprintf(want, sizeof want, "skeleton %s is not a directory", src);
	ck_assert_str_eq(err, want);
	free(err);
	ck_assert(!exists(g_dst));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("skeleton");
	TCase *tc = tcase_create("render_tree");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, renders_names_and_contents);
	tcase_add_test(tc, copies_binary_verbatim);
	tcase_add_test(tc, keeps_modes);
	tcase_add_test(tc, refuses_existing_target);
	tcase_add_test(tc, removes_target_on_unclosed_tag);
	tcase_add_test(tc, removes_target_on_unclosed_section);
	tcase_add_loop_test(tc, refuses_escaping_names, 0,
	                    (int)(sizeof escapes / sizeof escapes[0]));
	tcase_add_test(tc, refuses_symlinks);
	tcase_add_test(tc, missing_skeleton);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
