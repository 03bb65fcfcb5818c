/*
 * http.c -- one HTTP request through libcurl (see http.h), made by the
 * plugins' shared helper pchttp_request with the logs' own settings.
 *
 * Each request has its own easy handle: paved-logship sends one batch at
 * a time and the plugin a few queries per command, so a handle kept
 * between calls would save little and add state.  curl_global_init runs
 * once (curl_easy_init does it when needed, not thread-safely: both
 * callers are single-threaded).
 */
#include "http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

int lh_request(const char *method, const char *url, const char *body, size_t len,
               const char *content_type, const char *header, long timeout_ms,
               struct pchttp_answer *a)
{
	struct curl_slist *hdrs = NULL;
	char ct[128];
	bool post = !strcmp(method, "POST");
	if (post) {
		snprintf(ct, sizeof ct, "Content-Type: %s", content_type ? content_type : "application/json");
		hdrs = curl_slist_append(hdrs, ct);
	}
	if (header)
		hdrs = curl_slist_append(hdrs, header);
	hdrs = curl_slist_append(hdrs, "Expect:");   /* no 100-continue round trip */
	long t = timeout_ms > 0 ? timeout_ms : 5000L;
	struct pchttp_req rq = { .method = post ? "POST" : "GET", .url = url, .body = body,
	                         .len = len, .headers = hdrs, .user_agent = "paved-logs/1.0",
	                         .timeout_ms = t, .connect_timeout_ms = t, .noproxy = "*",
	                         .body_max = LH_BODY_MAX };
	int rc = pchttp_request(NULL, &rq, a);
	curl_slist_free_all(hdrs);
	return rc;
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
