/*
 * test_logfile.c -- Check tests of logfile.c: the JSON-lines format,
 * rotation, seq across reopen and rotation, and reading back merged by
 * time with since, tail and a cursor.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"
#include "check_main.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/rt-logs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Append one line as the supervisor writes it, with a chosen time. */
static void put(const char *file, const char *time, int seq, const char *id, const char *line)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	FILE *f = fopen(p, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"time\":\"%s\",\"seq\":%d,\"replica\":\"%s\",\"version\":\"v1\","
	        "\"stream\":\"stdout\",\"line\":\"%s\"}\n", time, seq, id, line);
	fclose(f);
}

/* The "line" fields of RES joined with spaces (static buffer). */
static const char *lines_of(json_t *res)
{
	static char buf[1024];
	size_t i;
	json_t *l;
	buf[0] = '\0';
	json_array_foreach(json_object_get(res, "lines"), i, l) {
		if (i)
			strcat(buf, " ");
		strcat(buf, json_string_value(json_object_get(l, "line")));
	}
	return buf;
}

START_TEST(time_round_trips)
{
	char buf[32];
	rl_time(1700000000.123, buf);
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z");
	ck_assert(rl_parse_time(buf) > 1700000000.12 && rl_parse_time(buf) < 1700000000.13);
	ck_assert(rl_parse_time("2023-11-14T22:13:20Z") < 0);
	ck_assert(rl_parse_time("2023-11-14T22:13:20.123Zjunk") < 0);
	ck_assert(rl_parse_time(NULL) < 0);
}
END_TEST

START_TEST(write_is_json_lines_0600)
{
	char p[128];
	struct rl_writer w;
	snprintf(p, sizeof p, "%s/r1.log", dir);
	ck_assert_int_eq(rl_open(&w, p, 0, 0), 0);
	ck_assert_int_eq(rl_write(&w, "r1", "v7", "stderr", "bad \xff byte\r", 11), 0);
	ck_assert_int_eq(rl_write(&w, "r1", "v7", "stdout", "two", 3), 0);
	rl_close(&w);
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	json_t *res = NULL;
	ck_assert_int_eq(rl_collect(dir, 0, NULL, -1, &res, NULL), 0);
	json_t *first = json_array_get(json_object_get(res, "lines"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(first, "line")), "bad \xEF\xBF\xBD byte");
	ck_assert_str_eq(json_string_value(json_object_get(first, "stream")), "stderr");
	ck_assert_str_eq(json_string_value(json_object_get(first, "version")), "v7");
	ck_assert_str_eq(json_string_value(json_object_get(first, "replica")), "r1");
	ck_assert(rl_parse_time(json_string_value(json_object_get(first, "time"))) > 0);
	ck_assert_str_eq(json_string_value(json_object_get(res, "cursor")), "r1:2");
	json_decref(res);
}
END_TEST

START_TEST(rotation_keeps_seq)
{
	char p[128], q[160];
	struct rl_writer w;
	snprintf(p, sizeof p, "%s/r2.log", dir);
	ck_assert_int_eq(rl_open(&w, p, 400, 2), 0);
	for (int i = 0; i < 20; i++) {
		char line[32];
		snprintf(line, sizeof line, "line %02d", i);
		ck_assert_int_eq(rl_write(&w, "r2", "v1", "stdout", line, strlen(line)), 0);
	}
	rl_close(&w);
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_le(st.st_size, 400);
	snprintf(q, sizeof q, "%s.2", p);
	ck_assert_int_eq(stat(q, &st), 0);
	snprintf(q, sizeof q, "%s.3", p);
	ck_assert_int_ne(stat(q, &st), 0);   /* KEEP = 2 rotated files */
	/* a reopened writer (a new supervisor) goes on counting */
	ck_assert_int_eq(rl_open(&w, p, 400, 2), 0);
	ck_assert_int_eq(w.seq, 20);
	rl_close(&w);
	json_t *res = NULL;
	ck_assert_int_eq(rl_collect(dir, 0, NULL, 2, &res, NULL), 0);
	ck_assert_str_eq(lines_of(res), "line 18 line 19");
	ck_assert_str_eq(json_string_value(json_object_get(res, "cursor")), "r2:20");
	json_decref(res);
}
END_TEST

/* The log shipper's checkpoint ID.shipped holds rotated files it has not
 * shipped past KEEP; once it has, the next rotation drops them. */
START_TEST(rotation_keeps_unshipped_files)
{
	char p[128], q[160], ck[128];
	struct rl_writer w;
	struct stat st;
	snprintf(p, sizeof p, "%s/r3.log", dir);
	snprintf(ck, sizeof ck, "%s/r3.shipped", dir);
	FILE *f = fopen(ck, "w");
	ck_assert_ptr_nonnull(f);
	fputs("2\n", f);   /* shipped up to line 2 */
	fclose(f);
	ck_assert_int_eq(rl_open(&w, p, 400, 1), 0);
	for (int i = 0; i < 30; i++) {
		char line[32];
		snprintf(line, sizeof line, "line %02d", i);
		ck_assert_int_eq(rl_write(&w, "r3", "v1", "stdout", line, strlen(line)), 0);
	}
	snprintf(q, sizeof q, "%s.4", p);
	ck_assert_int_eq(stat(q, &st), 0);     /* KEEP = 1, but nothing past seq 2 shipped */
	json_t *res = NULL;
	ck_assert_int_eq(rl_collect(dir, 0, NULL, -1, &res, NULL), 0);
	ck_assert_int_eq(json_array_size(json_object_get(res, "lines")), 30);   /* none lost */
	json_decref(res);
	f = fopen(ck, "w");
	fputs("40\n", f);  /* all shipped (those to come too): KEEP files again */
	fclose(f);
	for (int i = 30; i < 40; i++)
		ck_assert_int_eq(rl_write(&w, "r3", "v1", "stdout", "more", 4), 0);
	rl_close(&w);
	snprintf(q, sizeof q, "%s.1", p);
	ck_assert_int_eq(stat(q, &st), 0);
	snprintf(q, sizeof q, "%s.2", p);
	ck_assert_int_ne(stat(q, &st), 0);
	snprintf(q, sizeof q, "%s.4", p);
	ck_assert_int_ne(stat(q, &st), 0);
}
END_TEST

START_TEST(merged_by_time_with_since_tail_cursor)
{
	put("r1.log.1", "2030-01-01T00:00:01.000Z", 1, "r1", "a1");
	put("r1.log", "2030-01-01T00:00:03.000Z", 2, "r1", "a3");
	put("r2.log", "2030-01-01T00:00:02.000Z", 1, "r2", "b2");
	put("r2.log", "2030-01-01T00:00:04.500Z", 2, "r2", "b4");
	put("notes.txt", "2030-01-01T00:00:00.000Z", 1, "x", "not a log");
	json_t *res = NULL;
	ck_assert_int_eq(rl_collect(dir, 0, NULL, -1, &res, NULL), 0);
	ck_assert_str_eq(lines_of(res), "a1 b2 a3 b4");
	char *cursor = strdup(json_string_value(json_object_get(res, "cursor")));
	json_decref(res);
	ck_assert_str_eq(cursor, "r1:2,r2:2");
	/* since: from 00:00:02.5 on */
	double t = rl_parse_time("2030-01-01T00:00:02.500Z");
	ck_assert_int_eq(rl_collect(dir, t, NULL, -1, &res, NULL), 0);
	ck_assert_str_eq(lines_of(res), "a3 b4");
	json_decref(res);
	ck_assert_int_eq(rl_collect(dir, 0, NULL, 1, &res, NULL), 0);
	ck_assert_str_eq(lines_of(res), "b4");
	json_decref(res);
	/* following: nothing new, then only the new lines */
	ck_assert_int_eq(rl_collect(dir, 0, cursor, -1, &res, NULL), 0);
	ck_assert_str_eq(lines_of(res), "");
	ck_assert_str_eq(json_string_value(json_object_get(res, "cursor")), cursor);
	json_decref(res);
	put("r2.log", "2030-01-01T00:00:05.000Z", 3, "r2", "b5");
	put("r3.log", "2030-01-01T00:00:06.000Z", 1, "r3", "c6");
	ck_assert_int_eq(rl_collect(dir, 0, cursor, -1, &res, NULL), 0);
	ck_assert_str_eq(lines_of(res), "b5 c6");
	json_decref(res);
	free(cursor);
}
END_TEST

START_TEST(bad_cursor_is_refused)
{
	static const char *bad[] = { "x", "r1", "r1:", "r1:x", ":3", "r1:3,", "R1:3", "r1:-2", NULL };
	for (int i = 0; bad[i]; i++) {
		json_t *res = NULL;
		char *err = NULL;
		ck_assert_int_eq(rl_collect(dir, 0, bad[i], -1, &res, &err), -1);
		ck_assert_ptr_null(res);
		char want[160];
		snprintf(want, sizeof want, "invalid cursor '%s': pass back the cursor a previous "
		         "call returned", bad[i]);
		ck_assert_str_eq(err, want);
		free(err);
	}
	json_t *res = NULL;
	ck_assert_int_eq(rl_collect(dir, 0, "", -1, &res, NULL), 0);   /* "" = from the start */
	json_decref(res);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime logfile");
	TCase *tc = tcase_create("logfile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, time_round_trips);
	tcase_add_test(tc, write_is_json_lines_0600);
	tcase_add_test(tc, rotation_keeps_seq);
	tcase_add_test(tc, rotation_keeps_unshipped_files);
	tcase_add_test(tc, merged_by_time_with_since_tail_cursor);
	tcase_add_test(tc, bad_cursor_is_refused);
	suite_add_tcase(s, tc);
	return tu_check_main(s);
}
