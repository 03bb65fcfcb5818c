/*
 * http.c -- one HTTP request through libcurl (see http.h).
 *
 * Each request has its own easy handle: paved-logship sends one batch at
 * a time and the plugin a few queries per command, so a handle kept
 * between calls would save little and add state.  curl_global_init runs
 * once (curl_easy_init does it when needed, not thread-safely: both
 * callers are single-threaded).
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* Append what curl received to the answer (up to LH_BODY_MAX). */
static size_t keep(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct lh_answer *a = userdata;
	size_t n = size * nmemb;
	if (a->len + n > LH_BODY_MAX)
		return 0;   /* too big: curl fails the transfer */
	char *g = realloc(a->body, a->len + n + 1);
	if (!g)
		return 0;
	memcpy(g + a->len, ptr, n);
	a->body = g;
	a->len += n;
	a->body[a->len] = '\0';
	return n;
}

int lh_request(const char *method, const char *url, const char *body, size_t len,
               const char *content_type, const char *header, long timeout_ms,
               struct lh_answer *a)
{
	struct curl_slist *hdrs = NULL;
	char ct[128];
	int rc = -1;
	memset(a, 0, sizeof *a);
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(a->error, sizeof a->error, "cannot create a libcurl handle");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500  /* 7.85.0 */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (!strcmp(method, "POST")) {
		snprintf(ct, sizeof ct, "Content-Type: %s", content_type ? content_type : "application/json");
		hdrs = curl_slist_append(hdrs, ct);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
	}
	if (header)
		hdrs = curl_slist_append(hdrs, header);
	hdrs = curl_slist_append(hdrs, "Expect:");   /* no 100-continue round trip */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "paved-logs/1.0");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->error);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
		rc = 0;
	} else if (!a->error[0]) {
		snprintf(a->error, sizeof a->error, "%s", curl_easy_strerror(cc));
	}
	if (!a->body && (a->body = malloc(1)))
		a->body[0] = '\0';
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc;
}

void lh_free(struct lh_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
}

char *lh_escape(const char *prefix, const char *text)
{
	size_t n = strlen(prefix), m = strlen(text);
	char *out = malloc(n + m * 3 + 1), *o;
	if (!out)
		return NULL;
	memcpy(out, prefix, n);
	o = out + n;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~')
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}
