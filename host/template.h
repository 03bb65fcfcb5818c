/* template.h - Mustache template rendering for the paved host.
 *
 * Implements the non-optional parts of the Mustache spec: interpolation
 * (HTML-escaped and raw), dotted names, the implicit iterator, sections,
 * inverted sections, comments, set-delimiter tags and partials, with the
 * spec's standalone-line whitespace rules.  The context is a jansson value.
 */
#ifndef PAVED_TEMPLATE_H
#define PAVED_TEMPLATE_H

#include <stddef.h>
#include <jansson.h>

/* Maximum depth of partials including partials (a self-including partial
 * fails with "partial nesting too deep" instead of recursing forever). */
#define PV_TPL_MAX_PARTIAL_DEPTH 64

/* Maximum nodes rendered in one render (sections over lists inside each
 * other multiply their bodies); past it, rendering stops with an error. */
#define PV_TPL_MAX_STEPS 10000000ULL

/* Maximum combined nesting of rendered sections and partials. */
#define PV_TPL_MAX_NEST 512

/* Looks up a partial by name; returns a malloc'd template string (caller
 * frees) or NULL if absent. */
typedef char *(*pv_partial_fn)(const char *name, void *data);

/* Render TEMPLATE (LEN bytes; it need not be NUL-terminated) with context
 * CTX (normally a JSON object; borrowed, may be NULL).  PARTIALS may be NULL,
 * in which case every partial renders as the empty string.
 *
 * On success returns 0 and *out is a malloc'd NUL-terminated string that the
 * caller frees (*out_len its length if out_len is non-NULL).
 *
 * On error returns -1, sets *out to NULL and, if errmsg is non-NULL, sets
 * *errmsg to a malloc'd one-line message starting with "line:column: ",
 * e.g. "3:5: unclosed tag '{{name'", "1:1: unclosed section 'items'" or
 * "2:3: section 'a' closed by 'b'".  Errors inside a partial end with
 * " (in partial 'NAME')" and their position is within that partial.  If
 * memory runs out while building the message itself, *errmsg is NULL. */
int pv_render(const char *tmpl, size_t len, json_t *ctx, pv_partial_fn partials, void *pdata,
              char **out, size_t *out_len, char **errmsg);

/* Convenience: render the NUL-terminated TMPL with no partials and no HTML
 * escaping (for file names/paths).  Same ownership and errors as pv_render. */
int pv_render_raw(const char *tmpl, json_t *ctx, char **out, char **errmsg);

/* Bounds for one render (the Lua sandbox's): past MAX_OUT bytes of output
 * it fails with "output larger than N bytes", past DEADLINE (seconds on
 * CLOCK_MONOTONIC) with "rendering stopped: the time limit was reached".
 * Zero means no bound. */
struct pv_render_limits {
    size_t max_out;
    double deadline;
};

/* pv_render (ESCAPE) or pv_render_raw (!ESCAPE) without partials, within
 * LIM (may be NULL).  Same ownership and errors. */
int pv_render_limited(const char *tmpl, size_t len, json_t *ctx, int escape,
                      const struct pv_render_limits *lim, char **out, size_t *out_len,
                      char **errmsg);

#endif /* PAVED_TEMPLATE_H */
