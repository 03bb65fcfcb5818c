/*
 * http.c -- GET requests to Prometheus with libcurl (see pm.h): several
 * side by side through one multi handle (pchttp_many, the plugins' shared
 * helper), every one bounded by the timeout (connect by at most 1 s), so
 * a backend that is down or hangs costs at most the timeout, never a
 * hang.  Loopback is never sent through a proxy.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "pm.h"
#include "pchttp.h"

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
	struct pchttp_req *rqs = calloc(n ? n : 1, sizeof *rqs);
	struct pchttp_answer *as = calloc(n ? n : 1, sizeof *as);
	bool ready = init_curl() && rqs && as;
	for (size_t i = 0; ready && i < n; i++)
		rqs[i] = (struct pchttp_req){ .url = rs[i].url, .timeout_ms = timeout_ms,
		                              .connect_timeout_ms = timeout_ms < 1000 ? timeout_ms : 1000L,
		                              .noproxy = "127.0.0.1,localhost,::1",
		                              .user_agent = "paved-prometheus" };
	if (ready)
		pchttp_many(rqs, as, n);
	for (size_t i = 0; i < n; i++) {
		rs[i].status = ready ? as[i].status : 0;
		rs[i].body = ready ? as[i].body : NULL;
		rs[i].len = ready ? as[i].len : 0;
		rs[i].err = !ready ? strdup("out of memory") : as[i].error[0] ? strdup(as[i].error) : NULL;
		if (!rs[i].body)
			rs[i].body = strdup("");
	}
	free(rqs);
	free(as);
}

void pmh_free(struct pmh_req *r)
{
	free(r->url), free(r->body), free(r->err);
	r->url = r->body = r->err = NULL;
}
