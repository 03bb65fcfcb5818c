/*
 * pchttp.c -- GET and POST through libcurl for the bundled plugins (see
 * pchttp.h).  Every transfer is set up by one function, px_setup, whether
 * it runs alone (pchttp_request) or beside others (pchttp_many), and read
 * back by one, px_finish, so all users share the same options: http and
 * https only, no signals, the caller's timeouts and proxy rule.
 */
#include "pchttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

_Static_assert(sizeof ((struct pchttp_answer *)0)->error >= CURL_ERROR_SIZE,
               "pchttp_answer.error holds libcurl's error buffer");

struct pchttp {
	CURL *curl;
};

/* One transfer in flight: where its answer goes and how much to keep. */
struct px_xfer {
	struct pchttp_answer *a;
	size_t max;
	bool   truncate;
};

/* CURLOPT_WRITEFUNCTION: append to the answer's body, up to X->max bytes;
 * past that drop the rest (truncate) or fail the transfer (return 0). */
static size_t px_keep(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct px_xfer *x = userdata;
	struct pchttp_answer *a = x->a;
	size_t n = size * nmemb, take = n;
	if (a->len + n > x->max) {
		if (!x->truncate)
			return 0;
		take = x->max - a->len;
		if (!take)
			return n;
	}
	char *g = realloc(a->body, a->len + take + 1);
	if (!g)
		return 0;
	memcpy(g + a->len, ptr, take);
	a->body = g;
	a->len += take;
	a->body[a->len] = '\0';
	return n;
}

/* Set RQ's options on C, the answer going to X (whose answer is cleared).
 * Pointers into RQ and X stay in C until it is reset or cleaned up. */
static void px_setup(CURL *c, const struct pchttp_req *rq, struct px_xfer *x,
                     struct pchttp_answer *a)
{
	memset(a, 0, sizeof *a);
	x->a = a;
	x->max = rq->body_max ? rq->body_max : PCHTTP_BODY_MAX;
	x->truncate = rq->truncate;
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
#if LIBCURL_VERSION_NUM >= 0x075500  /* 7.85.0 */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (rq->method && !strcmp(rq->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->len : 0));
	}
	if (rq->headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, rq->headers);
	if (rq->user_agent)
		curl_easy_setopt(c, CURLOPT_USERAGENT, rq->user_agent);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	if (rq->connect_timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
	if (rq->noproxy)
		curl_easy_setopt(c, CURLOPT_NOPROXY, rq->noproxy);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->error);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, px_keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
}

/* Read back how the transfer on C ended (CC) into A: the status when an
 * answer came, else the error line.  0 or -1 as pchttp_request. */
static int px_finish(CURL *c, CURLcode cc, struct pchttp_answer *a)
{
	int rc = 0;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
		a->error[0] = '\0';
	} else {
		a->status = 0;
		a->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		if (!a->error[0])
			snprintf(a->error, sizeof a->error, "%s", curl_easy_strerror(cc));
		rc = -1;
	}
	if (!a->body && (a->body = malloc(1)))
		a->body[0] = '\0';
	return rc;
}

pchttp *pchttp_new(void)
{
	pchttp *h = calloc(1, sizeof *h);
	if (h && !(h->curl = curl_easy_init())) {
		free(h);
		h = NULL;
	}
	return h;
}

void pchttp_close(pchttp *h)
{
	if (h)
		curl_easy_cleanup(h->curl);
	free(h);
}

int pchttp_request(pchttp *h, const struct pchttp_req *rq, struct pchttp_answer *a)
{
	struct px_xfer x;
	CURL *c = h ? h->curl : curl_easy_init();
	if (!c) {
		memset(a, 0, sizeof *a);
		snprintf(a->error, sizeof a->error, "cannot create a libcurl handle");
		if ((a->body = malloc(1)))
			a->body[0] = '\0';
		return -1;
	}
	px_setup(c, rq, &x, a);
	int rc = px_finish(c, curl_easy_perform(c), a);
	if (h)
		curl_easy_reset(c);   /* drop the pointers into RQ, X and A; keeps the connection */
	else
		curl_easy_cleanup(c);
	return rc;
}

void pchttp_many(const struct pchttp_req *rqs, struct pchttp_answer *as, size_t n)
{
	CURLM *m = curl_multi_init();
	CURL **hs = calloc(n ? n : 1, sizeof *hs);
	struct px_xfer *xs = calloc(n ? n : 1, sizeof *xs);
	int running = 0;
	for (size_t i = 0; i < n; i++) {
		memset(&as[i], 0, sizeof as[i]);
		if (!m || !hs || !xs || !(hs[i] = curl_easy_init())) {
			snprintf(as[i].error, sizeof as[i].error, "out of memory");
			continue;
		}
		px_setup(hs[i], &rqs[i], &xs[i], &as[i]);
		curl_easy_setopt(hs[i], CURLOPT_PRIVATE, &as[i]);
		curl_multi_add_handle(m, hs[i]);
	}
	if (m && hs && xs) {
		do {
			if (curl_multi_perform(m, &running) != CURLM_OK)
				break;
			if (running && curl_multi_poll(m, NULL, 0, 200, NULL) != CURLM_OK)
				break;
		} while (running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			struct pchttp_answer *a = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&a);
			if (a)
				px_finish(msg->easy_handle, msg->data.result, a);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (hs && hs[i]) {
			curl_multi_remove_handle(m, hs[i]);
			curl_easy_cleanup(hs[i]);
		}
		if (!as[i].status && !as[i].error[0])   /* the multi loop broke off */
			snprintf(as[i].error, sizeof as[i].error, "no answer");
		if (!as[i].body && (as[i].body = malloc(1)))
			as[i].body[0] = '\0';
	}
	if (m)
		curl_multi_cleanup(m);
	free(hs);
	free(xs);
}

void pchttp_free(struct pchttp_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
}
