/*
 * http.c -- GET requests to Prometheus with libcurl (see pm.h): several
 * side by side through one multi handle, every one bounded by
 * CURLOPT_TIMEOUT_MS (and CURLOPT_CONNECTTIMEOUT_MS), so a backend that is
 * down or hangs costs at most the timeout, never a hang.  Loopback is never
 * sent through a proxy.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "pm.h"

static bool curl_ready;

/* libcurl's global state, once per process. */
static bool init_curl(void)
{
	if (!curl_ready)
		curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	return curl_ready;
}

void pmh_global_cleanup(void)
{
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = false;
}

/* CURLOPT_WRITEFUNCTION: append to the request's body (at most 64 MiB). */
static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct pmh_req *r = ud;
	size_t add = size * n;
	if (r->len + add > (64u << 20))
		return 0;
	char *g = realloc(r->body, r->len + add + 1);
	if (!g)
		return 0;
	memcpy(g + r->len, p, add);
	r->body = g;
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

char *pmh_escape(const char *s)
{
	if (!init_curl())
		return NULL;
	char *e = curl_easy_escape(NULL, s, 0), *out = e ? strdup(e) : NULL;
	curl_free(e);
	return out;
}

void pmh_many(struct pmh_req *rs, size_t n, long timeout_ms)
{
	CURLM *m = init_curl() ? curl_multi_init() : NULL;
	CURL **h = calloc(n ? n : 1, sizeof *h);
	char (*ebuf)[CURL_ERROR_SIZE] = calloc(n ? n : 1, CURL_ERROR_SIZE);
	int running = 0;
	for (size_t i = 0; i < n; i++) {
		rs[i].status = 0, rs[i].len = 0, rs[i].body = NULL, rs[i].err = NULL;
		if (!m || !h || !ebuf || !(h[i] = curl_easy_init())) {
			rs[i].err = strdup("out of memory");
			continue;
		}
		curl_easy_setopt(h[i], CURLOPT_URL, rs[i].url);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &rs[i]);
		curl_easy_setopt(h[i], CURLOPT_TIMEOUT_MS, timeout_ms);
		curl_easy_setopt(h[i], CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 1000 ? timeout_ms : 1000L);
		curl_easy_setopt(h[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h[i], CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
		curl_easy_setopt(h[i], CURLOPT_ERRORBUFFER, ebuf[i]);
		curl_easy_setopt(h[i], CURLOPT_PRIVATE, &rs[i]);
		curl_easy_setopt(h[i], CURLOPT_USERAGENT, "paved-prometheus");
		curl_multi_add_handle(m, h[i]);
	}
	if (m) {
		do {
			if (curl_multi_perform(m, &running) != CURLM_OK)
				break;
			if (running && curl_multi_poll(m, NULL, 0, 200, NULL) != CURLM_OK)
				break;
		} while (running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct pmh_req *r = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			if (!r)
				continue;
			if (msg->data.result != CURLE_OK) {
				size_t i = (size_t)(r - rs);
				r->err = strdup(ebuf[i][0] ? ebuf[i] : curl_easy_strerror(msg->data.result));
			} else {
				curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (h && h[i]) {
			curl_multi_remove_handle(m, h[i]);
			curl_easy_cleanup(h[i]);
		}
		if (!rs[i].err && !rs[i].status)
			rs[i].err = strdup("no answer");
		if (!rs[i].body)
			rs[i].body = strdup("");
	}
	if (m)
		curl_multi_cleanup(m);
	free(h);
	free(ebuf);
}

void pmh_free(struct pmh_req *r)
{
	free(r->url), free(r->body), free(r->err);
	r->url = r->body = r->err = NULL;
}
