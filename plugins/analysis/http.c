/*
 * http.c -- the HTTP requests of the prometheus and webhook providers,
 * through libcurl by the plugins' shared helper pchttp_request (see
 * analysis.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "analysis.h"
#include "pchttp.h"

PAVED_PLUGIN_INIT3;

/* A request on a handle of its own; the answer's body is kept up to
 * 4 MiB (plenty for one value), a larger one fails the request. */
int an_http(const char *method, const char *url, const char *body, double timeout, long *status,
            char **resp, char **errmsg)
{
	struct curl_slist *h = NULL;
	struct pchttp_answer a = { .body = NULL };
	pchttp *c = pchttp_new();
	bool post = method && !strcmp(method, "POST");
	*status = 0, *resp = NULL;
	if (!c)
		return paved->error(errmsg, "libcurl: cannot start a request");
	if (post)
		h = curl_slist_append(h, "Content-Type: application/json");
	struct pchttp_req rq = { .method = post ? "POST" : "GET", .url = url,
	                         .body = body ? body : "{}", .len = strlen(body ? body : "{}"),
	                         .headers = h, .user_agent = "paved-analysis/1",
	                         .timeout_ms = (long)(timeout * 1000),
	                         .connect_timeout_ms = (long)(timeout * 1000),
	                         .body_max = 4u << 20 };
	int out = PAVED_OK;
	if (pchttp_request(c, &rq, &a)) {
		if (a.timed_out)
			out = paved->error(errmsg, "%s: timed out after %g s", url, timeout);
		else
			out = paved->error(errmsg, "%s: %s", url, a.error);
	} else {
		*status = a.status;
		*resp = a.body ? a.body : strdup("");
		a.body = NULL;
	}
	pchttp_free(&a);
	curl_slist_free_all(h);
	pchttp_close(c);
	return out;
}
