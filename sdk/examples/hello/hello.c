/*
 * hello -- the example paved plugin.
 *
 * Provides example.hello: {"name": "ada"} -> {"greeting": "hello, ada"},
 * and emits the event example.greeted.  Build it out of tree with the
 * Makefile beside this file (uses `pkg-config paved-plugin`).
 */
#include <paved/plugin.h>

PAVED_PLUGIN_INIT1;

static int hello(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	const char *greeting = json_string_value(paved->option(ctx, "greeting"));
	const char *who = json_string_value(json_object_get(args, "name"));
	(void)data;
	if (!who || !*who)
		return paved->error(errmsg, "argument 'name' (a non-empty string) is required");
	*result = json_pack("{s:s++}", "greeting", greeting, ", ", who);
	paved->emit(ctx, "example.greeted", *result);
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->provide(ctx, "example.hello", hello, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "greeting", PAVED_OPT_STRING, "\"hello\"", "the word to greet with" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(hello, "1.0.0", "example plugin: greets by name", init, NULL, options);
