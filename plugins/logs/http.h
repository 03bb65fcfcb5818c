/*
 * http.h -- the one HTTP helper of the logs plugin and paved-logship
 * (prefix lh_): a request through libcurl with a whole-request timeout,
 * its status and its answer's body.  Uses no paved API.
 */
#ifndef LOGS_HTTP_H
#define LOGS_HTTP_H

#include <stddef.h>

#include "pchttp.h"

/* The most of an answer's body lh_request keeps: a larger answer fails
 * the request. */
#define LH_BODY_MAX (64u * 1024 * 1024)

/* One request: METHOD "GET" or "POST" (then BODY of LEN bytes, sent with
 * CONTENT_TYPE) to URL, at most TIMEOUT_MS in all, with the extra header
 * line HEADER (may be NULL).  A is a pchttp_answer: STATUS, BODY
 * (malloc()ed, NUL-terminated), ERROR (curl's words).  Returns 0 when an
 * answer came (any status), -1 when none did (A->error says why).  Free A with pchttp_free.
 * Redirects are not followed; only http and https are allowed; never
 * through a proxy; no "Expect: 100-continue". */
int  lh_request(const char *method, const char *url, const char *body, size_t len,
                const char *content_type, const char *header, long timeout_ms,
                struct pchttp_answer *a);

/* URL with "%XX" for every byte of TEXT that is not unreserved, appended
 * to PREFIX: a malloc()ed string, or NULL. */
char *lh_escape(const char *prefix, const char *text);

#endif
