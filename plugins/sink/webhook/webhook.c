/*
 * webhook -- a sink that POSTs every event as JSON to an HTTP endpoint.
 *
 * Observes event:* (priority 100).  Each event is sent as the body of one
 * POST (Content-Type: application/json) to option `url`, with the event
 * name and id in X-Paved-Event / X-Paved-Event-Id so a receiver can drop
 * the duplicates that at-least-once delivery implies.  Any 2xx answer is
 * a delivery; a non-2xx answer, a transport failure or an unset url is an
 * error naming the URL and the reason, and the host keeps the event in the
 * outbox for a later run.
 *
 * This is the plugin that links libcurl.  The host's registration cache
 * keeps it closed unless an event is actually delivered to it, so commands
 * that emit nothing never pay for loading libcurl.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <paved/plugin.h>

#include "pchttp.h"

PAVED_PLUGIN_INIT1;
static pchttp *conn;         /* reused between events: keeps the connection */
static bool    curl_ready;   /* curl_global_init succeeded */

/* Up to this much of a failed answer's body is quoted in the error. */
#define SNIPPET_MAX 160

/* The start of an answer's body (LEN bytes of TEXT) reduced to one
 * printable line, in place. */
static const char *one_line(char *text, size_t len)
{
	if (!text)
		return "";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < ' ' || text[i] == 127)
			text[i] = ' ';
	while (len && text[len - 1] == ' ')
		text[--len] = '\0';
	return text;
}

/* Append "NAME: VALUE" to *LIST.  Refuses names and values that would
 * split the request (CR, LF) or are not a header name. */
static int add_header(struct curl_slist **list, const char *name, const char *value,
                      char **errmsg)
{
	if (!*name || strpbrk(name, "\r\n: \t") || strpbrk(value, "\r\n"))
		return paved->error(errmsg, "option plugins.webhook.headers: header '%s' has a "
		                  "name or value that is not a single header line", name);
	size_t n = strlen(name) + strlen(value) + 3;
	char *line = malloc(n);
	if (!line)
		return paved->error(errmsg, "out of memory");
	snprintf(line, n, "%s: %s", name, value);
	struct curl_slist *grown = curl_slist_append(*list, line);
	free(line);
	if (!grown)
		return paved->error(errmsg, "out of memory");
	*list = grown;
	return PAVED_OK;
}

/* The request headers: JSON content type, the event's name and id, then
 * the configured ones.  Caller frees *LIST (also on error). */
static int build_headers(paved_ctx *ctx, json_t *event, struct curl_slist **list,
                         char **errmsg)
{
	char id[32];
	const char *name = json_string_value(json_object_get(event, "event"));
	json_t *jid = json_object_get(event, "id");
	int rc = add_header(list, "Content-Type", "application/json", errmsg);
	if (!rc && name)
		rc = add_header(list, "X-Paved-Event", name, errmsg);
	if (!rc && json_is_integer(jid)) {
		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(jid));
		rc = add_header(list, "X-Paved-Event-Id", id, errmsg);
	}
	const char *k;
	json_t *v;
	json_object_foreach(paved->option(ctx, "headers"), k, v) {
		if (rc)
			break;
		if (!json_is_string(v))
			rc = paved->error(errmsg, "option plugins.webhook.headers.%s must be a "
			                "string", k);
		else
			rc = add_header(list, k, json_string_value(v), errmsg);
	}
	return rc;
}

/* Deliver EVENT (borrowed): one POST of its JSON text, on the kept
 * handle. */
static int post_event(paved_ctx *ctx, json_t *event, json_t **result, char **errmsg,
                      void *data)
{
	(void)result, (void)data;
	const char *url = json_string_value(paved->option(ctx, "url"));
	json_int_t timeout = json_integer_value(paved->option(ctx, "timeout_ms"));
	struct curl_slist *headers = NULL;
	struct pchttp_answer answer = { .body = NULL };
	char *body = NULL;
	int rc = PAVED_OK;

	if (!url || !*url)
		return paved->error(errmsg, "plugins.webhook.url is not set; set it in "
		                  "$PAVED_HOME/config.json or with -c plugins.webhook.url=URL");
	if (timeout <= 0)
		return paved->error(errmsg, "option plugins.webhook.timeout_ms must be a positive "
		                  "number of milliseconds, not %lld", (long long)timeout);
	if (!curl_ready)
		return paved->error(errmsg, "libcurl could not be initialised");
	if (!conn && !(conn = pchttp_new()))
		return paved->error(errmsg, "cannot create a libcurl handle (out of memory?)");
	if ((rc = build_headers(ctx, event, &headers, errmsg)))
		goto done;
	if (!(body = json_dumps(event, JSON_COMPACT))) {
		rc = paved->error(errmsg, "cannot encode the event as JSON");
		goto done;
	}

	struct pchttp_req rq = { .method = "POST", .url = url, .body = body, .len = strlen(body),
	                         .headers = headers, .user_agent = "paved-webhook/1.0",
	                         .timeout_ms = (long)timeout, .body_max = SNIPPET_MAX,
	                         .truncate = true };
	if (pchttp_request(conn, &rq, &answer)) {
		rc = paved->error(errmsg, "POST %s failed: %s", url, answer.error);
		goto done;
	}
	if (answer.status < 200 || answer.status > 299) {
		const char *text = one_line(answer.body, answer.len);
		rc = paved->error(errmsg, "POST %s answered HTTP %ld%s%s", url, answer.status,
		                *text ? ": " : "", text);
	}
done:
	pchttp_free(&answer);
	curl_slist_free_all(headers);
	free(body);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		curl_ready = true;
	else
		paved->log(ctx, PAVED_LOG_WARN, "webhook: libcurl could not be initialised; "
		         "events will wait in the outbox");
	return paved->observe(ctx, "event:*", 100, post_event, NULL, NULL, errmsg);
}

static void fini(paved_ctx *ctx)
{
	(void)ctx;
	pchttp_close(conn);
	conn = NULL;
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = false;
}

static const struct paved_option options[] = {
	{ "url", PAVED_OPT_STRING, NULL,
	  "endpoint every event is POSTed to (http or https); required to deliver" },
	{ "timeout_ms", PAVED_OPT_INT, "2000",
	  "whole-request timeout in milliseconds; a slower endpoint keeps the event "
	  "in the outbox" },
	{ "headers", PAVED_OPT_OBJECT, NULL,
	  "extra request headers, e.g. {\"Authorization\": \"Bearer ...\"}" },
	{ NULL, 0, NULL, NULL }
};

PAVED_PLUGIN_DECLARE(webhook, "1.0.0", "POSTs every event as JSON to an HTTP endpoint",
                     init, fini, options);
