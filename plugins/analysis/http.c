/*
 * http.c -- the HTTP requests of the prometheus and webhook providers,
 * through libcurl (see analysis.h).
 */
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "analysis.h"

PAVED_PLUGIN_INIT3;

/* The answer's body, growing. */
struct buf { char *p; size_t n; };

static size_t take(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t add = size * nmemb;
	if (b->n + add > (4u << 20))   /* 4 MiB is plenty for one value */
		return 0;
	char *g = realloc(b->p, b->n + add + 1);
	if (!g)
		return 0;
	b->p = g;
	memcpy(b->p + b->n, data, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

int an_http(const char *method, const char *url, const char *body, double timeout, long *status,
            char **resp, char **errmsg)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct buf b = { NULL, 0 };
	char cerr[CURL_ERROR_SIZE] = "";
	*status = 0, *resp = NULL;
	if (!c)
		return paved->error(errmsg, "libcurl: cannot start a request");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "paved-analysis/1");
	if (method && !strcmp(method, "POST")) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
	}
	CURLcode rc = curl_easy_perform(c);
	int out = PAVED_OK;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		out = paved->error(errmsg, "%s: timed out after %g s", url, timeout);
	} else if (rc != CURLE_OK) {
		out = paved->error(errmsg, "%s: %s", url, *cerr ? cerr : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		*resp = b.p ? b.p : strdup("");
		b.p = NULL;
	}
	free(b.p);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return out;
}
