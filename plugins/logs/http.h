/*
 * http.h -- the one HTTP helper of the logs plugin and paved-logship
 * (prefix lh_): a request through libcurl with a whole-request timeout,
 * its status and its answer's body.  Uses no paved API.
 */
#ifndef LOGS_HTTP_H
#define LOGS_HTTP_H

#include <stddef.h>

/* An answer: STATUS (0 when no answer came), BODY (malloc()ed, NUL-
 * terminated, up to LH_BODY_MAX bytes kept) and, when the transfer failed,
 * ERROR (curl's words). */
struct lh_answer {
	long   status;
	char  *body;
	size_t len;
	char   error[256];
};

#define LH_BODY_MAX (64u * 1024 * 1024)

/* One request: METHOD "GET" or "POST" (then BODY of LEN bytes, sent with
 * CONTENT_TYPE) to URL, at most TIMEOUT_MS in all, with the extra header
 * line HEADER (may be NULL).  Returns 0 when an answer came (any status),
 * -1 when none did (A->error says why).  Free A with lh_free.  Redirects
 * are not followed; only http and https are allowed. */
int  lh_request(const char *method, const char *url, const char *body, size_t len,
                const char *content_type, const char *header, long timeout_ms,
                struct lh_answer *a);
void lh_free(struct lh_answer *a);

/* URL with "%XX" for every byte of TEXT that is not unreserved, appended
 * to PREFIX: a malloc()ed string, or NULL. */
char *lh_escape(const char *prefix, const char *text);

#endif
