/*
 * fuzz_template.c -- libFuzzer target: Mustache rendering (host/template.c).
 *
 * Input: CONTEXT NUL TEMPLATE [NUL NAME=PARTIAL]...  CONTEXT is JSON; when
 * it does not parse (or there is no NUL, and the whole input is the
 * template) a fixed context holding every kind of value is used.
 *
 * The template is rendered as paved renders a skeleton (skeleton.c): a
 * file's contents HTML-escaped with no partials (pv_render), its name raw
 * (pv_render_raw, up to the first NUL); then once more with the input's
 * partials, for the rest of the spec.
 *
 * Beyond the sanitizers, the promises of template.h are checked: on
 * success a NUL-terminated output of the length reported, on failure a
 * message "LINE:COLUMN: ...".
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "template.h"

#define MAX_PARTIALS 8

static const char default_ctx[] =
	"{\"name\": \"payment-api\", \"owner\": \"team-a\", \"port\": 8080, \"pi\": 3.14,"
	" \"yes\": true, \"no\": false, \"nothing\": null, \"empty\": [], \"html\": \"<a&b>\","
	" \"list\": [{\"a\": 1}, {\"a\": \"x\"}], \"obj\": {\"a\": {\"b\": \"c\"}},"
	" \"nums\": [1, 2, 3]}";

struct partials {
	struct fz_part *parts;
	size_t n;
};

/* pv_partial_fn: the text after "NAME=" of the first part named NAME. */
static char *partial(const char *name, void *data)
{
	struct partials *p = data;
	size_t n = strlen(name);
	for (size_t i = 0; i < p->n; i++) {
		const char *s = p->parts[i].str;
		if (strncmp(s, name, n) == 0 && s[n] == '=')
			return strdup(s + n + 1);
	}
	return NULL;
}

/* The promises of pv_render about *OUT, *OUT_LEN and *ERRMSG. */
static void check(const char *what, int rc, char *out, size_t out_len, bool have_len,
                  char *err)
{
	if (rc == 0) {
		if (!out)
			fz_fail("%s: success without output", what);
		if (have_len && out[out_len] != '\0')
			fz_fail("%s: output not NUL-terminated at its length %zu", what, out_len);
		if (err)
			fz_fail("%s: success with an error message '%s'", what, err);
	} else {
		if (rc != -1 || out)
			fz_fail("%s: failure (%d) with an output", what, rc);
		const char *p = err;
		if (!p)
			return;   /* allowed when memory ran out */
		if (!isdigit((unsigned char)*p))
			fz_fail("%s: error without a line: '%s'", what, err);
		while (isdigit((unsigned char)*p))
			p++;
		if (*p++ != ':' || !isdigit((unsigned char)*p))
			fz_fail("%s: error without a column: '%s'", what, err);
		while (isdigit((unsigned char)*p))
			p++;
		if (p[0] != ':' || p[1] != ' ')
			fz_fail("%s: error not 'LINE:COL: message': '%s'", what, err);
	}
	free(out);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[2 + MAX_PARTIALS];
	size_t n = fz_split(data, size, 0, parts, 2 + MAX_PARTIALS);
	const struct fz_part *tmpl = n > 1 ? &parts[1] : &parts[0];
	json_t *ctx = n > 1 ? json_loadb(parts[0].str, parts[0].len, JSON_DECODE_ANY |
	                                 JSON_ALLOW_NUL, NULL) : NULL;
	struct partials pd = { parts + 2, n > 2 ? n - 2 : 0 };
	char *out = NULL, *err = NULL;
	size_t len = 0;
	int rc;

	if (!ctx && !(ctx = json_loads(default_ctx, 0, NULL)))
		fz_fail("the default context does not parse");
	/* a skeleton file's contents */
	rc = pv_render((const char *)tmpl->data, tmpl->len, ctx, NULL, NULL, &out, &len, &err);
	check("pv_render", rc, out, len, true, err);
	/* a skeleton file's name */
	rc = pv_render_raw(tmpl->str, ctx, &out, &err);
	check("pv_render_raw", rc, out, 0, false, err);
	/* the spec's partials */
	if (pd.n) {
		rc = pv_render((const char *)tmpl->data, tmpl->len, ctx, partial, &pd, &out, &len,
		               &err);
		check("pv_render with partials", rc, out, len, true, err);
	}
	json_decref(ctx);
	fz_parts_free(parts, n);
	return 0;
}
