/*
 * webhook.c -- the provider "webhook", as Flagger's webhooks: POST (or
 * GET) the metric's url with {service, env, version, stable_version,
 * metric, role, replicas}; a 2xx answer passes, any other status, a
 * refused connection or a timeout (the metric's timeout, 10 s) fails.
 * So a measurement never errors: its value is {ok, status, body?,
 * error?} and the canary's default condition is `result.ok`.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

PAVED_PLUGIN_INIT3;

int an_webhook_check(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	(void)ctx, (void)result;
	json_t *m = json_object_get(args, "metric");
	const char *u = json_string_value(json_object_get(m, "url"));
	const char *meth = json_string_value(json_object_get(m, "method"));
	if (!u || (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)))
		return paved->error(errmsg, "url %s: the provider webhook needs an http:// or https:// "
		                    "URL", u ? "is not one" : "is missing");
	if (meth && strcmp(meth, "GET") && strcmp(meth, "POST"))
		return paved->error(errmsg, "method '%s': GET or POST", meth);
	return PAVED_OK;
}

int an_webhook_measure(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg)
{
	(void)ctx, (void)errmsg;
	json_t *m = json_object_get(args, "metric"), *v;
	const char *u = json_string_value(json_object_get(m, "url"));
	const char *meth = json_string_value(json_object_get(m, "method"));
	json_t *body = json_pack("{sO sO sO sO* sO* sO*}", "service", json_object_get(args, "service"),
	                         "env", json_object_get(args, "env"), "metric",
	                         json_object_get(m, "name"), "version", json_object_get(args, "version"),
	                         "stable_version", json_object_get(args, "stable_version"),
	                         "role", json_object_get(args, "role"));
	if (json_object_get(m, "body"))
		json_object_set(body, "data", json_object_get(m, "body"));
	char *text = json_dumps(body, JSON_COMPACT), *resp = NULL, *err = NULL;
	long status = 0;
	double t = an_timeout(m, 10);
	if (an_http(meth ? meth : "POST", u ? u : "", text, t, &status, &resp, &err)) {
		v = json_pack("{sb si ss}", "ok", 0, "status", 0, "error", err ? err : "no answer");
	} else {
		json_t *parsed = json_loads(resp, JSON_DECODE_ANY, NULL);
		v = json_pack("{sb si}", "ok", status >= 200 && status < 300, "status", (int)status);
		if (parsed)
			json_object_set_new(v, "body", parsed);
		else if (resp && *resp)
			json_object_set_new(v, "body", json_stringn(resp, strlen(resp) > 500 ? 500 : strlen(resp)));
	}
	*result = json_pack("{so}", "value", v);
	json_decref(body);
	free(text), free(resp), free(err);
	return PAVED_OK;
}
