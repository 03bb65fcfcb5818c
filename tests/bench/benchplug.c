/*
 * benchplug -- the template plugin bench_load loads 50 copies of.
 *
 * `make bench` compiles it 50 times with -DPV_BENCH_NAME=p01..p50, so each
 * copy has its own descriptor name (= file stem) and hooks, like 50
 * distinct real plugins: one provider, one observer, one option.
 * `make check` compiles it once (as p00) so it never rots.
 */
#include <paved/plugin.h>

#ifndef PV_BENCH_NAME
#define PV_BENCH_NAME p00
#endif
#define STR_(x) #x
#define STR(x) STR_(x)

PAVED_PLUGIN_INIT1;

static int answer(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx, (void)errmsg, (void)data;
	*result = json_incref(args);
	return PAVED_OK;
}

static int watch(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)ctx, (void)args, (void)result, (void)errmsg, (void)data;
	return PAVED_OK;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	if (paved->provide(ctx, "bench." STR(PV_BENCH_NAME), answer, NULL, NULL, errmsg))
		return PAVED_ERR;
	return paved->observe(ctx, "after:bench." STR(PV_BENCH_NAME), 50, watch, NULL, NULL,
	                    errmsg);
}

static const struct paved_option options[] = {
	{ "level", PAVED_OPT_INT, "1", "an option, as real plugins declare" },
	{ NULL, 0, NULL, NULL }
};

#define DECLARE(NAME) PAVED_PLUGIN_DECLARE(NAME, "1.0.0", "bench_load template plugin", \
                                           init, NULL, options)
#define DECLARE_(NAME) DECLARE(NAME)
DECLARE_(PV_BENCH_NAME);
