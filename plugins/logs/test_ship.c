/*
 * test_ship.c -- Check tests of ship.c (the shipper's core):
 * checkpoints, the push body (labels, nanosecond times, text as written),
 * and rounds against a small HTTP server forked here: lines shipped once,
 * in order, across a rotation; a down server or a 5xx ships nothing and
 * moves no checkpoint; a 4xx skips the batch.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ship.h"

static char home[64], logs[128], bodies[128], status_file[128];
static pid_t server;
static int port;

/* The server: one request per connection; appends each body (one line)
 * to BODIES; answers the status in STATUS_FILE (default 204). */
static void serve(int s)
{
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		static char buf[8 << 20];
		size_t n = 0;
		char *end = NULL;
		ssize_t r;
		while (!end && (r = read(c, buf + n, sizeof buf - 1 - n)) > 0) {
			n += (size_t)r;
			buf[n] = '\0';
			end = strstr(buf, "\r\n\r\n");
		}
		char *cl = strcasestr(buf, "Content-Length:");
		size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0, head = end ? (size_t)(end + 4 - buf) : n;
		while (n < head + want && (r = read(c, buf + n, sizeof buf - 1 - n)) > 0)
			n += (size_t)r;
		int code = 204;
		FILE *f = fopen(status_file, "r");
		if (f) {
			if (fscanf(f, "%d", &code) != 1)
				code = 204;
			fclose(f);
		}
		if (code == 204 && (f = fopen(bodies, "a"))) {
			fwrite(buf + head, 1, want, f);
			fputc('\n', f);
			fclose(f);
		}
		dprintf(c, "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno", code);
		close(c);
	}
}

static void setup(void)
{
	strcpy(home, "/tmp/logship-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(home));
	snprintf(logs, sizeof logs, "%s/runtime/dev/svc/logs", home);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", logs);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(bodies, sizeof bodies, "%s/bodies", home);
	snprintf(status_file, sizeof status_file, "%s/status", home);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(s, 16), 0);
	getsockname(s, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	if ((server = fork()) == 0)
		serve(s);
	close(s);
}

static void teardown(void)
{
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
	ck_assert_int_eq(system(cmd), 0);
}

/* Append log-file line SEQ of replica r1 to FILE (in the logs dir). */
static void put(const char *file, int seq, const char *stream, const char *line)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", logs, file);
	FILE *f = fopen(p, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"time\":\"2025-01-31T12:00:00.%03dZ\",\"seq\":%d,\"replica\":\"r1\","
	        "\"version\":\"v1\",\"stream\":\"%s\",\"line\":\"%s\"}\n", seq % 1000, seq, stream, line);
	fclose(f);
}

/* Every line the server took, "ns text" joined with spaces, in order. */
static char *received(void)
{
	static char out[1 << 16];
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(bodies, "r");
	out[0] = '\0';
	while (f && getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL), *s, *v;
		size_t i, k;
		ck_assert_ptr_nonnull(j);
		json_array_foreach(json_object_get(j, "streams"), i, s)
			json_array_foreach(json_object_get(s, "values"), k, v) {
				if (*out)
					strcat(out, " ");
				strcat(out, json_string_value(json_array_get(v, 1)));
			}
		json_decref(j);
	}
	free(line);
	if (f)
		fclose(f);
	return out;
}

static char *url(void)
{
	static char u[64];
	snprintf(u, sizeof u, "http://127.0.0.1:%d", port);
	return u;
}

START_TEST(checkpoints)
{
	ck_assert_int_eq(ls_checkpoint(logs, "r1"), 0);
	ck_assert_int_eq(ls_checkpoint_write(logs, "r1", 42), 0);
	ck_assert_int_eq(ls_checkpoint(logs, "r1"), 42);
}
END_TEST

START_TEST(push_body_groups_streams)
{
	const char *text =
		"{\"time\":\"1970-01-01T00:00:01.250Z\",\"seq\":7,\"replica\":\"r1\",\"version\":\"v1\","
		"\"stream\":\"stdout\",\"line\":\"a \\\"quoted\\\" \\u00e9\"}\n"
		"{\"time\":\"1970-01-01T00:00:01.250Z\",\"seq\":8,\"replica\":\"r1\",\"version\":\"v1\","
		"\"stream\":\"stderr\",\"line\":\"b\"}\n"
		"not json\n"
		"{\"time\":\"1970-01-01T00:00:01.251Z\",\"seq\":9,\"replica\":\"r1\",\"version\":\"v1\","
		"\"stream\":\"stdout\",\"line\":\"c\"}\n";
	size_t n = 0;
	char *body = ls_push_body("dev", "svc", text, strlen(text), &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(body, "{\"streams\":["
		"{\"stream\":{\"service\":\"svc\",\"env\":\"dev\",\"version\":\"v1\",\"replica\":\"r\","
		"\"stream\":\"stdout\"},\"values\":[[\"1250000007\",\"a \\\"quoted\\\" \xc3\xa9\"],"
		"[\"1251000009\",\"c\"]]},"
		"{\"stream\":{\"service\":\"svc\",\"env\":\"dev\",\"version\":\"v1\",\"replica\":\"r\","
		"\"stream\":\"stderr\"},\"values\":[[\"1250000008\",\"b\"]]}]}");
	free(body);
}
END_TEST

START_TEST(rounds_once_in_order_across_rotation)
{
	struct ls_shipper sh;
	ck_assert_int_eq(ls_init(&sh, home), 0);
	put("r1.log", 1, "stdout", "one");
	put("r1.log", 2, "stderr", "two");
	ck_assert_int_eq(ls_round(&sh, url(), NULL, 5000), 2);
	ck_assert_int_eq(ls_checkpoint(logs, "r1"), 2);
	ck_assert_int_eq(ls_round(&sh, url(), NULL, 5000), 0);   /* nothing new */
	put("r1.log", 3, "stdout", "three");
	/* rotated as logfile.c does: ID.log -> ID.log.1, a fresh ID.log */
	char a[256], b[256];
	snprintf(a, sizeof a, "%s/r1.log", logs);
	snprintf(b, sizeof b, "%s/r1.log.1", logs);
	ck_assert_int_eq(rename(a, b), 0);
	put("r1.log", 4, "stdout", "four");
	ck_assert_int_eq(ls_round(&sh, url(), NULL, 5000), 2);
	ck_assert_str_eq(received(), "one two three four");
	ck_assert_int_eq(ls_checkpoint(logs, "r1"), 4);
	ls_free(&sh);
	/* a new shipper resumes after the checkpoint */
	put("r1.log", 5, "stdout", "five");
	ck_assert_int_eq(ls_init(&sh, home), 0);
	ck_assert_int_eq(ls_round(&sh, url(), NULL, 5000), 1);
	ck_assert_str_eq(received(), "one two three four five");
	ls_free(&sh);
}
END_TEST

START_TEST(failures_move_nothing)
{
	struct ls_shipper sh;
	char down[64];
	ck_assert_int_eq(ls_init(&sh, home), 0);
	put("r1.log", 1, "stdout", "one");
	snprintf(down, sizeof down, "http://127.0.0.1:1");
	ck_assert_int_eq(ls_round(&sh, down, NULL, 2000), -1);
	ck_assert_ptr_nonnull(strstr(sh.stats.last_error, "POST http://127.0.0.1:1/loki/api/v1/push failed"));
	ck_assert_int_eq(ls_checkpoint(logs, "r1"), 0);
	FILE *f = fopen(status_file, "w");
	fputs("503\n", f);
	fclose(f);
	ck_assert_int_eq(ls_round(&sh, url(), NULL, 2000), -1);
	ck_assert_ptr_nonnull(strstr(sh.stats.last_error, "answered HTTP 503"));
	ck_assert_int_eq(ls_checkpoint(logs, "r1"), 0);
	unlink(status_file);
	put("r1.log", 2, "stdout", "two");
	ck_assert_int_eq(ls_round(&sh, url(), NULL, 2000), 2);   /* the same lines, once */
	ck_assert_str_eq(received(), "one two");
	f = fopen(status_file, "w");
	fputs("400\n", f);
	fclose(f);
	put("r1.log", 3, "stdout", "refused");
	ck_assert_int_eq(ls_round(&sh, url(), NULL, 2000), 0);   /* skipped for good */
	ck_assert_int_eq(sh.stats.rejected, 1);
	ck_assert_int_eq(ls_checkpoint(logs, "r1"), 3);
	ls_free(&sh);
}
END_TEST

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	Suite *s = suite_create("logs ship");
	TCase *tc = tcase_create("ship");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, checkpoints);
	tcase_add_test(tc, push_body_groups_streams);
	tcase_add_test(tc, rounds_once_in_order_across_rotation);
	tcase_add_test(tc, failures_move_nothing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
