/* template.c - Mustache template renderer (see template.h).
 *
 * A template source is first parsed into a flat array of nodes
 * (template_parse.c), so syntax errors are reported before any output is
 * produced.  The nodes are then rendered against a stack of borrowed JSON
 * contexts.  A section node's body
 * is the node range (i, end).  Partials are fetched, parsed and rendered on
 * demand.  Node strings point into the source text, which always outlives the
 * node array that refers to it.
 *
 * Ownership: the caller owns the template, the context and the partial
 * callback's data; everything this file allocates is either freed before
 * returning or handed to the caller (*out, *errmsg).
 */
#include "template_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if JANSSON_VERSION_HEX < 0x020e00
#error "template.c needs jansson >= 2.14 (json_object_getn)"
#endif

/* Growable output buffer; once OOM is set, further appends are dropped.
 * MAX (0: none) bounds its length; passing it sets TOOLARGE and OOM. */
typedef struct { char *buf; size_t len, cap, max; int oom, toolarge; } sbuf;

typedef struct {
    sbuf out;
    json_t **stack; /* context stack, all borrowed from the caller's ctx */
    size_t depth, cap;
    pv_partial_fn partials;
    void *pdata;
    int escape;        /* HTML-escape {{name}} interpolation */
    int partial_depth; /* partials currently being rendered */
    int nest;          /* sections + partials currently being rendered */
    double deadline;   /* CLOCK_MONOTONIC seconds; 0: none */
    unsigned ticks;    /* nodes rendered since the clock was read */
    unsigned long long steps, max_steps;  /* nodes rendered, and the bound */
    char *err;
} renderer;

static int render_range(renderer *r, const tsrc *src, const tree *t, size_t from, size_t to);
static const char *must_stop(renderer *r);

/* Returns a malloc'd NUL-terminated copy of S[0..N) (caller frees), or NULL. */
static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ---- output buffer ------------------------------------------------------ */

/* Appends S[0..N) to B, keeping it NUL-terminated; sets b->oom on failure. */
static void sb_add(sbuf *b, const char *s, size_t n)
{
    char *nb;

    if (b->oom || n == 0)
        return;
    if (b->max && n > b->max - b->len) {
        b->oom = b->toolarge = 1;
        return;
    }
    if (n >= b->cap - b->len) {
        if (n > SIZE_MAX - b->len - 1 || !(nb = pv_tpl_grow(b->buf, &b->cap, b->len + n + 1, 1))) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* Appends S[0..N) to B with & < > " replaced by HTML entities. */
static void sb_add_escaped(sbuf *b, const char *s, size_t n)
{
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        const char *rep = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;"
                        : s[i] == '>' ? "&gt;"  : s[i] == '"' ? "&quot;" : NULL;
        if (rep) {
            sb_add(b, s + run, i - run);
            sb_add(b, rep, strlen(rep));
            run = i + 1;
        }
    }
    sb_add(b, s + run, n - run);
}

/* ---- context lookup ----------------------------------------------------- */

/* Returns OBJ's member named KEY[0..N) (borrowed), or NULL. */
static json_t *member(json_t *obj, const char *key, size_t n)
{
    return json_is_object(obj) && n ? json_object_getn(obj, key, n) : NULL;
}

/* Resolves NAME[0..N) against the context stack (borrowed result, NULL if
 * missing): "." is the top context; for "a.b.c", "a" is searched from the
 * top of the stack down and "b", "c" only inside the value found. */
static json_t *lookup(const renderer *r, const char *name, size_t n)
{
    const char *dot = memchr(name, '.', n);
    size_t seg = dot ? (size_t)(dot - name) : n, i;
    json_t *v = NULL;

    if (n == 1 && name[0] == '.')
        return r->depth ? r->stack[r->depth - 1] : NULL;
    for (i = r->depth; i-- > 0 && !v;)
        v = member(r->stack[i], name, seg);
    while (v && seg < n) {
        name += seg + 1;
        n -= seg + 1;
        dot = memchr(name, '.', n);
        seg = dot ? (size_t)(dot - name) : n;
        v = member(v, name, seg);
    }
    return v;
}

/* Pushes V (borrowed) onto the context stack; -1 on OOM. */
static int push(renderer *r, json_t *v)
{
    if (r->depth == r->cap) {
        json_t **ns = pv_tpl_grow(r->stack, &r->cap, r->depth + 1, sizeof *ns);
        if (!ns)
            return -1;
        r->stack = ns;
    }
    r->stack[r->depth++] = v;
    return 0;
}

/* false, null, a missing value and the empty list are falsy. */
static int truthy(json_t *v)
{
    return v && !json_is_null(v) && !json_is_false(v)
        && !(json_is_array(v) && json_array_size(v) == 0);
}

/* ---- rendering ---------------------------------------------------------- */

/* Formats D into BUF with the fewest significant digits that read back
 * exactly (1.21 -> "1.21", 2.0 -> "2"), always with '.' as decimal point. */
static void format_real(char *buf, size_t cap, double d)
{
    int prec;
    char *c;

    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (prec == 17 || strtod(buf, NULL) == d)
            break;
    }
    for (c = buf; *c; c++)
        if (*c == ',')
            *c = '.';
}

/* Appends the text form of V (borrowed; NULL and null render nothing) to
 * r->out, HTML-escaped if ESCAPE.  Lists and objects render as compact JSON.
 * Sets r->out.oom on allocation failure. */
static void render_value(renderer *r, json_t *v, int escape)
{
    char num[64];
    char *dump = NULL;
    const char *s = num;
    size_t n;

    if (!v || json_is_null(v))
        return;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        format_real(num, sizeof num, json_real_value(v));
        n = strlen(num);
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
        n = strlen(s);
    } else {
        if (!(dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY))) {
            r->out.oom = 1;
            return;
        }
        s = dump;
        n = strlen(dump);
    }
    if (escape)
        sb_add_escaped(&r->out, s, n);
    else
        sb_add(&r->out, s, n);
    free(dump);
}

/* Checks the nesting limit before rendering node N of SRC one level deeper. */
static int enter(renderer *r, const tsrc *src, const tnode *n)
{
    if (r->nest >= PV_TPL_MAX_NEST)
        return pv_tpl_fail(&r->err, src, n->pos, "sections and partials nested too deep (limit %d)",
                    PV_TPL_MAX_NEST);
    r->nest++;
    return 0;
}

/* Renders the body of section node I of T once, with CTX (borrowed; NULL
 * for none) pushed on the context stack for the duration. */
static int render_body(renderer *r, const tsrc *src, const tree *t, size_t i, json_t *ctx)
{
    int rc;

    if (enter(r, src, &t->v[i]) < 0)
        return -1;
    if (ctx && push(r, ctx) < 0) {
        r->nest--;
        return pv_tpl_fail(&r->err, src, t->v[i].pos, "out of memory");
    }
    rc = render_range(r, src, t, i + 1, t->v[i].end);
    r->depth -= ctx != NULL;
    r->nest--;
    return rc;
}

/* Renders section (or inverted section) node I of T: a list runs the body
 * once per item, another truthy value once with itself as context; an
 * inverted section runs once, without a new context, if the value is falsy. */
static int render_section(renderer *r, const tsrc *src, const tree *t, size_t i)
{
    const tnode *n = &t->v[i];
    json_t *v = lookup(r, n->str, n->len);
    size_t k;
    int rc = 0;

    if (n->kind == K_INVERTED)
        return truthy(v) ? 0 : render_body(r, src, t, i, NULL);
    if (!truthy(v))
        return 0;
    if (!json_is_array(v))
        return render_body(r, src, t, i, v);
    for (k = 0; k < json_array_size(v) && rc == 0; k++) {
        const char *why = must_stop(r);
        if (why)
            return pv_tpl_fail(&r->err, src, n->pos, "%s", why);
        rc = render_body(r, src, t, i, json_array_get(v, k));
    }
    return rc;
}

/* Returns a malloc'd copy of S[0..N) with IND[0..ILEN) inserted at the start
 * of every line (caller frees; length in *OUT_LEN), or NULL on OOM. */
static char *indent_lines(const char *s, size_t n, const char *ind, size_t ilen, size_t *out_len)
{
    size_t lines = 1, i, o = 0;
    char *d;

    for (i = 0; i + 1 < n; i++)
        lines += s[i] == '\n';
    if (lines > (SIZE_MAX - n - 1) / ilen || !(d = malloc(n + lines * ilen + 1)))
        return NULL;
    for (i = 0; i < n; i++) {
        if (i == 0 || s[i - 1] == '\n') {
            memcpy(d + o, ind, ilen);
            o += ilen;
        }
        d[o++] = s[i];
    }
    d[o] = '\0';
    *out_len = o;
    return d;
}

/* Renders partial node N of SRC in the current context: fetches the partial
 * (we own and free what the callback returns), indents it if the tag was
 * standalone, then parses and renders it with default delimiters.  A
 * missing partial, or no callback at all, renders as nothing. */
static int render_partial(renderer *r, const tsrc *src, const tnode *n)
{
    char *name = NULL, *body = NULL, *text = NULL;
    tree t = { NULL, 0, 0 };
    tsrc sub = { NULL, 0, NULL, 0 };
    int rc = -1;

    if (!r->partials)
        return 0;
    if (r->partial_depth >= PV_TPL_MAX_PARTIAL_DEPTH) {
        char snip[48];
        pv_tpl_snippet(snip, sizeof snip, n->str, n->len);
        return pv_tpl_fail(&r->err, src, n->pos, "partial nesting too deep (limit %d) at '%s'",
                    PV_TPL_MAX_PARTIAL_DEPTH, snip);
    }
    if (!(name = dup_n(n->str, n->len)))
        goto oom;
    if (!(body = r->partials(name, r->pdata))) {
        rc = 0;
        goto done;
    }
    sub.len = strlen(body);
    text = n->ind_len ? indent_lines(body, sub.len, n->ind, n->ind_len, &sub.len) : body;
    if (!text)
        goto oom;
    sub.s = text;
    sub.partial = name;
    sub.indent = n->ind_len;
    if (pv_tpl_parse(&sub, &t, &r->err) < 0 || enter(r, src, n) < 0)
        goto done;
    r->partial_depth++;
    rc = render_range(r, &sub, &t, 0, t.n);
    r->partial_depth--;
    r->nest--;
    goto done;
oom:
    rc = pv_tpl_fail(&r->err, src, n->pos, "out of memory");
done:
    free(t.v);
    if (text != body)
        free(text);
    free(body);
    free(name);
    return rc;
}

/* Why rendering must stop now, or NULL: past the step bound (sections
 * nested in sections over lists multiply: 60 bytes of template can ask for
 * 10^9 bodies), or past R's deadline (the clock is read every 1024 steps). */
static const char *must_stop(renderer *r)
{
    struct timespec ts;

    if (++r->steps > r->max_steps)
        return "rendering stopped: more than the allowed steps (sections repeated inside "
               "sections?)";
    if (r->deadline <= 0 || (++r->ticks & 1023) != 0)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 > r->deadline)
        return "rendering stopped: the time limit was reached";
    return NULL;
}

/* Renders nodes [FROM, TO) of T (parsed from SRC) into r->out.  Returns 0,
 * or -1 with r->err set. */
static int render_range(renderer *r, const tsrc *src, const tree *t, size_t from, size_t to)
{
    size_t i = from;
    int rc = 0;

    while (i < to && rc == 0) {
        const tnode *n = &t->v[i];
        const char *why;

        switch (n->kind) {
        case K_TEXT:
            sb_add(&r->out, n->str, n->len);
            break;
        case K_VAR:
        case K_RAW:
            render_value(r, lookup(r, n->str, n->len), n->kind == K_VAR && r->escape);
            break;
        case K_SECTION:
        case K_INVERTED:
            rc = render_section(r, src, t, i);
            break;
        case K_PARTIAL:
            rc = render_partial(r, src, n);
            break;
        default:
            break;
        }
        if (rc == 0 && r->out.toolarge)
            rc = pv_tpl_fail(&r->err, src, n->pos, "output larger than %zu bytes", r->out.max);
        else if (rc == 0 && r->out.oom)
            rc = pv_tpl_fail(&r->err, src, n->pos, "out of memory");
        else if (rc == 0 && (why = must_stop(r)))
            rc = pv_tpl_fail(&r->err, src, n->pos, "%s", why);
        i = (n->kind == K_SECTION || n->kind == K_INVERTED) ? n->end : i + 1;
    }
    return rc;
}

/* ---- public API --------------------------------------------------------- */

/* Shared body of pv_render and pv_render_raw; ESCAPE selects HTML escaping
 * of {{name}}.  See template.h for the ownership of OUT and ERRMSG. */
static int render_top(const char *tmpl, size_t len, json_t *ctx, pv_partial_fn partials,
                      void *pdata, int escape, const struct pv_render_limits *lim,
                      char **out, size_t *out_len, char **errmsg)
{
    tsrc src = { tmpl ? tmpl : "", tmpl ? len : 0, NULL, 0 };
    tree t = { NULL, 0, 0 };
    renderer r;
    int rc = -1;

    memset(&r, 0, sizeof r);
    r.partials = partials;
    r.pdata = pdata;
    r.escape = escape;
    r.max_steps = PV_TPL_MAX_STEPS;
    if (lim) {
        r.out.max = lim->max_out;
        r.deadline = lim->deadline;
    }
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!out || (!tmpl && len)) {
        pv_tpl_fail(&r.err, &src, 0, "invalid arguments");
        goto done;
    }
    if (ctx && push(&r, ctx) < 0) {
        pv_tpl_fail(&r.err, &src, 0, "out of memory");
        goto done;
    }
    if (pv_tpl_parse(&src, &t, &r.err) < 0 || render_range(&r, &src, &t, 0, t.n) < 0)
        goto done;
    if (!r.out.buf && !(r.out.buf = calloc(1, 1))) {
        pv_tpl_fail(&r.err, &src, 0, "out of memory");
        goto done;
    }
    *out = r.out.buf;
    r.out.buf = NULL;
    if (out_len)
        *out_len = r.out.len;
    rc = 0;
done:
    free(t.v);
    free(r.stack);
    free(r.out.buf);
    if (errmsg)
        *errmsg = r.err;
    else
        free(r.err);
    return rc;
}

int pv_render(const char *tmpl, size_t len, json_t *ctx, pv_partial_fn partials, void *pdata,
              char **out, size_t *out_len, char **errmsg)
{
    return render_top(tmpl, len, ctx, partials, pdata, 1, NULL, out, out_len, errmsg);
}

int pv_render_raw(const char *tmpl, json_t *ctx, char **out, char **errmsg)
{
    return render_top(tmpl, tmpl ? strlen(tmpl) : 0, ctx, NULL, NULL, 0, NULL, out, NULL, errmsg);
}

int pv_render_limited(const char *tmpl, size_t len, json_t *ctx, int escape,
                      const struct pv_render_limits *lim, char **out, size_t *out_len,
                      char **errmsg)
{
    return render_top(tmpl, len, ctx, NULL, NULL, escape, lim, out, out_len, errmsg);
}
