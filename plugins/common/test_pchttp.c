/*
 * test_pchttp.c -- Check tests of pchttp.c against a tiny HTTP server
 * run in a thread on 127.0.0.1 (port 0, keep-alive): a 200 with its body,
 * a 500, a POST's body and headers as the server saw them, a kept handle
 * reusing its connection, a body cut at body_max or refused past it, a
 * refused connection (a bound port nobody listens on), a timeout (a port
 * that listens but never answers) and several requests side by side.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "pchttp.h"

static int srv_fd = -1, srv_port;
static pthread_t srv_thread;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;
static int srv_conns;      /* connections accepted (under srv_lock) */

/* Read one request from C into BUF (NUL-terminated): head and the body
 * its Content-Length announces.  Its length, or 0 at EOF. */
static size_t read_request(int c, char *buf, size_t size)
{
	size_t n = 0;
	char *end = NULL;
	ssize_t r;
	while (!end && n < size - 1 && (r = read(c, buf + n, size - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	if (!end)
		return 0;
	char *cl = strcasestr(buf, "Content-Length:");
	size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0, head = (size_t)(end + 4 - buf);
	while (n < head + want && n < size - 1 && (r = read(c, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

/* Answer the requests of one connection until the client closes it:
 * /ok 200 "hello world", /fail 500 "boom", /big 200 of 100 'x',
 * /echo 200 with the request as it came. */
static void serve_conn(int c)
{
	enum { REQ_MAX = 65536, RES_MAX = REQ_MAX + 128 };
	char *req = malloc(REQ_MAX), *res = malloc(RES_MAX);
	while (req && res && read_request(c, req, REQ_MAX)) {
		char big[101];
		memset(big, 'x', 100), big[100] = '\0';
		int code = 200;
		const char *body = "";
		if (!strncmp(req, "GET /ok ", 8))
			body = "hello world";
		else if (!strncmp(req, "GET /fail ", 10))
			code = 500, body = "boom";
		else if (!strncmp(req, "GET /big ", 9))
			body = big;
		else if (strstr(req, " /echo "))
			body = req;
		else
			code = 404, body = "no such page";
		int len = snprintf(res, RES_MAX, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n\r\n%s",
		                   code, strlen(body), body);
		if (write(c, res, (size_t)len) != len)
			break;
	}
	free(req), free(res);
	close(c);
}

static void *serve_one(void *arg)
{
	serve_conn((int)(intptr_t)arg);
	return NULL;
}

/* Accept connections until the listening socket is shut down; each is
 * served by a thread of its own (side-by-side requests, kept ones). */
static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_t t;
		int c = accept(srv_fd, NULL, NULL);
		if (c < 0)
			return NULL;
		pthread_mutex_lock(&srv_lock);
		srv_conns++;
		pthread_mutex_unlock(&srv_lock);
		if (pthread_create(&t, NULL, serve_one, (void *)(intptr_t)c) == 0)
			pthread_detach(t);
		else
			close(c);
	}
}

/* A TCP socket bound to 127.0.0.1 on a free port (*PORT); listening when
 * LISTEN. */
static int loopback(int *port, int listening)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	if (listening)
		ck_assert_int_eq(listen(s, 8), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return s;
}

static void setup(void)
{
	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	srv_fd = loopback(&srv_port, 1);
	srv_conns = 0;
	ck_assert_int_eq(pthread_create(&srv_thread, NULL, serve, NULL), 0);
}

static void teardown(void)
{
	shutdown(srv_fd, SHUT_RDWR);   /* accept() returns: the thread ends */
	pthread_join(srv_thread, NULL);
	close(srv_fd);
	curl_global_cleanup();
}

static char url[128];
static const char *at(const char *path)
{
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv_port, path);
	return url;
}

static int conns(void)
{
	pthread_mutex_lock(&srv_lock);
	int n = srv_conns;
	pthread_mutex_unlock(&srv_lock);
	return n;
}

START_TEST(get_200_with_body)
{
	struct pchttp_answer a;
	struct pchttp_req rq = { .url = at("/ok"), .timeout_ms = 5000 };
	ck_assert_int_eq(pchttp_request(NULL, &rq, &a), 0);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "hello world");
	ck_assert_uint_eq(a.len, 11);
	ck_assert_str_eq(a.error, "");
	ck_assert(!a.timed_out);
	pchttp_free(&a);
	ck_assert_ptr_null(a.body);
}
END_TEST

START_TEST(get_500_is_an_answer)
{
	struct pchttp_answer a;
	struct pchttp_req rq = { .method = "GET", .url = at("/fail"), .timeout_ms = 5000 };
	ck_assert_int_eq(pchttp_request(NULL, &rq, &a), 0);
	ck_assert_int_eq(a.status, 500);
	ck_assert_str_eq(a.body, "boom");
	ck_assert_str_eq(a.error, "");
	pchttp_free(&a);
}
END_TEST

START_TEST(post_sends_body_headers_agent)
{
	struct pchttp_answer a;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "X-Paved-Event: deploy.done");
	const char *body = "{\"a\":1}";
	struct pchttp_req rq = { .method = "POST", .url = at("/echo"), .body = body,
	                         .len = strlen(body), .headers = h, .user_agent = "paved-test/1.0",
	                         .timeout_ms = 5000, .noproxy = "*" };
	ck_assert_int_eq(pchttp_request(NULL, &rq, &a), 0);
	ck_assert_int_eq(a.status, 200);
	char want[512];
	snprintf(want, sizeof want, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	         "User-Agent: paved-test/1.0\r\nAccept: */*\r\nContent-Type: application/json\r\n"
	         "X-Paved-Event: deploy.done\r\nContent-Length: 7\r\n\r\n{\"a\":1}", srv_port);
	ck_assert_str_eq(a.body, want);
	pchttp_free(&a);
	curl_slist_free_all(h);
}
END_TEST

START_TEST(kept_handle_reuses_its_connection)
{
	struct pchttp_answer a;
	pchttp *h = pchttp_new();
	ck_assert_ptr_nonnull(h);
	struct pchttp_req ok = { .url = at("/ok"), .timeout_ms = 5000 };
	ck_assert_int_eq(pchttp_request(h, &ok, &a), 0);
	ck_assert_str_eq(a.body, "hello world");
	pchttp_free(&a);
	struct pchttp_req fail = { .url = at("/fail"), .timeout_ms = 5000 };
	ck_assert_int_eq(pchttp_request(h, &fail, &a), 0);
	ck_assert_int_eq(a.status, 500);
	ck_assert_str_eq(a.body, "boom");
	pchttp_free(&a);
	ck_assert_int_eq(conns(), 1);
	pchttp_close(h);
	/* without a kept handle, each request connects anew */
	ck_assert_int_eq(pchttp_request(NULL, &ok, &a), 0);
	pchttp_free(&a);
	ck_assert_int_eq(pchttp_request(NULL, &ok, &a), 0);
	pchttp_free(&a);
	ck_assert_int_eq(conns(), 3);
}
END_TEST

START_TEST(body_max_truncates_or_fails)
{
	struct pchttp_answer a;
	struct pchttp_req rq = { .url = at("/big"), .timeout_ms = 5000, .body_max = 10,
	                         .truncate = true };
	ck_assert_int_eq(pchttp_request(NULL, &rq, &a), 0);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "xxxxxxxxxx");
	ck_assert_uint_eq(a.len, 10);
	pchttp_free(&a);
	rq.truncate = false;
	ck_assert_int_eq(pchttp_request(NULL, &rq, &a), -1);
	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.error, "Failure writing output to destination");
	ck_assert(!a.timed_out);
	ck_assert_str_eq(a.body, "");
	pchttp_free(&a);
}
END_TEST

START_TEST(refused_connection)
{
	int port, s = loopback(&port, 0);   /* bound, never listening: refused */
	char u[64], want[160];
	struct pchttp_answer a;
	snprintf(u, sizeof u, "http://127.0.0.1:%d/ok", port);
	struct pchttp_req rq = { .url = u, .timeout_ms = 5000 };
	ck_assert_int_eq(pchttp_request(NULL, &rq, &a), -1);
	ck_assert_int_eq(a.status, 0);
	ck_assert(!a.timed_out);
	ck_assert_str_eq(a.body, "");
	/* "... after N ms: ...": N is the only part that varies */
	long ms = -1;
	snprintf(want, sizeof want, "Failed to connect to 127.0.0.1 port %d after ", port);
	ck_assert_msg(!strncmp(a.error, want, strlen(want)), "error: %s", a.error);
	ck_assert_int_eq(sscanf(a.error + strlen(want), "%ld", &ms), 1);
	snprintf(want + strlen(want), sizeof want - strlen(want),
	         "%ld ms: Couldn't connect to server", ms);
	ck_assert_str_eq(a.error, want);
	ck_assert_int_lt(ms, 5000);
	pchttp_free(&a);
	close(s);
}
END_TEST

START_TEST(timeout_when_nobody_answers)
{
	int port, s = loopback(&port, 1);   /* the kernel accepts; nobody reads */
	char u[64];
	struct pchttp_answer a;
	struct timespec t0, t1;
	snprintf(u, sizeof u, "http://127.0.0.1:%d/ok", port);
	struct pchttp_req rq = { .url = u, .timeout_ms = 200 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pchttp_request(NULL, &rq, &a), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long took = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert(a.timed_out);
	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.body, "");
	long ms = -1;
	ck_assert_int_eq(sscanf(a.error, "Operation timed out after %ld milliseconds", &ms), 1);
	char want[128];
	snprintf(want, sizeof want, "Operation timed out after %ld milliseconds with 0 bytes "
	         "received", ms);
	ck_assert_str_eq(a.error, want);
	ck_assert_int_ge(ms, 200);
	ck_assert_int_lt(took, 2000);
	pchttp_free(&a);
	close(s);
}
END_TEST

START_TEST(many_side_by_side)
{
	int port, s = loopback(&port, 0);
	char refused[64];
	snprintf(refused, sizeof refused, "http://127.0.0.1:%d/ok", port);
	char u_ok[128], u_fail[128];
	snprintf(u_ok, sizeof u_ok, "%s", at("/ok"));
	snprintf(u_fail, sizeof u_fail, "%s", at("/fail"));
	struct pchttp_req rqs[3] = {
		{ .url = u_ok, .timeout_ms = 5000, .noproxy = "127.0.0.1,localhost,::1" },
		{ .url = refused, .timeout_ms = 5000 },
		{ .url = u_fail, .timeout_ms = 5000, .connect_timeout_ms = 1000 },
	};
	struct pchttp_answer as[3];
	pchttp_many(rqs, as, 3);
	ck_assert_int_eq(as[0].status, 200);
	ck_assert_str_eq(as[0].body, "hello world");
	ck_assert_str_eq(as[0].error, "");
	ck_assert_int_eq(as[1].status, 0);
	ck_assert_str_eq(as[1].body, "");
	ck_assert_msg(strstr(as[1].error, ": Couldn't connect to server"), "error: %s", as[1].error);
	ck_assert_int_eq(as[2].status, 500);
	ck_assert_str_eq(as[2].body, "boom");
	for (int i = 0; i < 3; i++)
		pchttp_free(&as[i]);
	pchttp_many(NULL, NULL, 0);   /* nothing to do is fine */
	close(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pchttp");
	TCase *tc = tcase_create("loopback");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, get_200_with_body);
	tcase_add_test(tc, get_500_is_an_answer);
	tcase_add_test(tc, post_sends_body_headers_agent);
	tcase_add_test(tc, kept_handle_reuses_its_connection);
	tcase_add_test(tc, body_max_truncates_or_fails);
	tcase_add_test(tc, refused_connection);
	tcase_add_test(tc, timeout_when_nobody_answers);
	tcase_add_test(tc, many_side_by_side);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
