/*
 * pchttp.h -- the one HTTP client of the bundled plugins that speak HTTP
 * (prefix pchttp_): a GET or a POST through libcurl with headers and a
 * timeout, giving the status, the answer's body and, when no answer came,
 * one clear line saying why.  pchttp_many does several side by side.
 *
 * Its own convenience library, plugins/common/libpchttp.la, NOT part of
 * libpc.la: only plugins that link $(CURL_LIBS) already link it, so
 * nothing that does not load libcurl today (paved itself, `paved hooks`,
 * the plugins without HTTP) starts to.  Uses no paved API, so helper
 * programs (paved-logship) link it too.
 *
 * What stays with each caller: libcurl's global init (curl_global_init,
 * or the implicit one of curl_easy_init), the header lines (a curl_slist
 * the caller builds and frees), the User-Agent, and how an error is
 * worded for the user.
 */
#ifndef PAVED_PCHTTP_H
#define PAVED_PCHTTP_H

#include <stdbool.h>
#include <stddef.h>

struct curl_slist;

/* A request.  Only URL and TIMEOUT_MS are required. */
struct pchttp_req {
	const char *method;             /* "POST", else a GET (NULL too) */
	const char *url;                /* http or https only; redirects not followed */
	const char *body;               /* POST: LEN bytes of it (NULL: empty) */
	size_t      len;
	const struct curl_slist *headers;   /* "Name: value" lines, or NULL (borrowed) */
	const char *user_agent;         /* or NULL: none */
	long        timeout_ms;         /* the whole request */
	long        connect_timeout_ms; /* the connection alone; 0: libcurl's default */
	const char *noproxy;            /* CURLOPT_NOPROXY ("*": never a proxy), or NULL */
	size_t      body_max;           /* answer bytes kept; 0: PCHTTP_BODY_MAX */
	bool        truncate;           /* past BODY_MAX: drop the rest (true) or fail (false) */
};

#define PCHTTP_BODY_MAX (64u * 1024 * 1024)

/* An answer.  STATUS is 0 when none came; BODY is malloc()ed and NUL-
 * terminated ("" when empty or no answer; NULL only when out of memory);
 * ERROR is libcurl's one line when no answer came ("" otherwise);
 * TIMED_OUT says the timeout ended it.  Free with pchttp_free. */
struct pchttp_answer {
	long   status;
	char  *body;
	size_t len;
	char   error[256];
	bool   timed_out;
};

/* A libcurl handle kept between requests (keeps the connection open).
 * pchttp_new returns NULL when libcurl cannot make one. */
typedef struct pchttp pchttp;
pchttp *pchttp_new(void);
void    pchttp_close(pchttp *h);

/* Perform RQ on H (NULL: a handle of its own, made and freed here) into
 * A (overwritten).  0 when an answer came, whatever its status; -1 when
 * none did (A->error says why: refused, timed out, too big, ...). */
int  pchttp_request(pchttp *h, const struct pchttp_req *rq, struct pchttp_answer *a);

/* Perform the N requests RQS side by side (one handle each, one curl
 * multi handle), answers into AS[0..N).  Never fails as a whole: each
 * answer says how its request went, as for pchttp_request. */
void pchttp_many(const struct pchttp_req *rqs, struct pchttp_answer *as, size_t n);

void pchttp_free(struct pchttp_answer *a);

#endif
