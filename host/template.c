/* template.c - Mustache template renderer (see template.h).
 *
 * A template source is first parsed into a flat array of nodes, so syntax
 * errors are reported before any output is produced.  The nodes are then
 * rendered against a stack of borrowed JSON contexts.  A section node's body
 * is the node range (i, end).  Partials are fetched, parsed and rendered on
 * demand.  Node strings point into the source text, which always outlives the
 * node array that refers to it.
 *
 * Ownership: the caller owns the template, the context and the partial
 * callback's data; everything this file allocates is either freed before
 * returning or handed to the caller (*out, *errmsg).
 */
#include "template.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if JANSSON_VERSION_HEX < 0x020e00
#error "template.c needs jansson >= 2.14 (json_object_getn)"
#endif

#define MAX_DELIM 16     /* longest custom delimiter accepted by {{=a b=}} */
#define NONE SIZE_MAX    /* "no node" / "not found" offset */

enum kind {
    K_TEXT, K_VAR, K_RAW, K_SECTION, K_INVERTED, K_PARTIAL, /* become nodes */
    K_CLOSE, K_COMMENT, K_DELIM                             /* tags only */
};

/* One template source: its text and, for a partial, its name. */
typedef struct {
    const char *s;
    size_t len;
    const char *partial; /* NULL for the top-level template */
    size_t indent;       /* indentation we added to each line of a partial */
} tsrc;

/* One parsed element (strings point into the template source). */
typedef struct {
    enum kind kind;
    const char *str, *ind; /* text or tag name; a standalone partial's indent */
    size_t len, ind_len;
    size_t end;            /* sections: one past the last body node */
    size_t pos;            /* source offset of the tag, for error messages */
} tnode;

typedef struct { tnode *v; size_t n, cap; } tree;

/* Growable output buffer; once OOM is set, further appends are dropped. */
typedef struct { char *buf; size_t len, cap; int oom; } sbuf;

/* A tag as read from the source: kind, trimmed name (or tag content for
 * comments and delimiter changes), and its extent [start, end). */
typedef struct {
    enum kind kind;
    size_t start, end;
    const char *name;
    size_t nlen;
} tag;

typedef struct {
    const tsrc *src;
    tree *t;
    char **err;
    size_t pos;        /* first offset not yet consumed */
    size_t line_start; /* offset where the current line begins */
    int line_tagged;   /* a tag already appeared on the current line */
    size_t open;       /* innermost unclosed section node, or NONE */
    char otag[MAX_DELIM + 1], ctag[MAX_DELIM + 1];
    size_t olen, clen;
} parser;

typedef struct {
    sbuf out;
    json_t **stack; /* context stack, all borrowed from the caller's ctx */
    size_t depth, cap;
    pv_partial_fn partials;
    void *pdata;
    int escape;        /* HTML-escape {{name}} interpolation */
    int partial_depth; /* partials currently being rendered */
    int nest;          /* sections + partials currently being rendered */
    char *err;
} renderer;

static int render_range(renderer *r, const tsrc *src, const tree *t, size_t from, size_t to);

/* ---- small helpers ------------------------------------------------------ */

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Narrows [*s, *s + *n) to exclude leading and trailing whitespace. */
static void trim(const char **s, size_t *n)
{
    for (; *n && is_space(**s); (*n)--)
        (*s)++;
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

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

/* Returns the offset of the first NEEDLE (N >= 1 bytes) in S[from..len), or NONE. */
static size_t find(const char *s, size_t len, size_t from, const char *needle, size_t n)
{
    while (from < len && len - from >= n) {
        const char *hit = memchr(s + from, needle[0], len - from - n + 1);
        if (!hit)
            break;
        from = (size_t)(hit - s);
        if (memcmp(hit, needle, n) == 0)
            return from;
        from++;
    }
    return NONE;
}

/* Writes a printable copy of S[0..N) into DST (CAP >= 8 bytes): control
 * bytes become '?', and text that does not fit is cut and marked "...". */
static void snippet(char *dst, size_t cap, const char *s, size_t n)
{
    size_t i, o = 0;

    for (i = 0; i < n && o + 4 < cap; i++)
        dst[o++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (i < n) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* Unless *ERR is already set (the innermost error wins), sets it to a
 * malloc'd "line:col: message" for offset POS of SRC, suffixed with the
 * partial's name when SRC is a partial.  Always returns -1. */
static int fail(char **err, const tsrc *src, size_t pos, const char *fmt, ...)
{
    char msg[256], where[96] = "";
    size_t line = 1, col = 1, i;
    va_list ap;
    int n;

    if (*err)
        return -1;
    for (i = 0; i < pos && i < src->len; i++) {
        col = src->s[i] == '\n' ? 1 : col + 1;
        line += src->s[i] == '\n';
    }
    col -= col > src->indent ? src->indent : 0; /* report the partial's own column */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (src->partial) {
        char name[48];
        snippet(name, sizeof name, src->partial, strlen(src->partial));
        snprintf(where, sizeof where, " (in partial '%s')", name);
    }
    n = snprintf(NULL, 0, "%zu:%zu: %s%s", line, col, msg, where);
    if (n >= 0 && (*err = malloc((size_t)n + 1)) != NULL)
        snprintf(*err, (size_t)n + 1, "%zu:%zu: %s%s", line, col, msg, where);
    return -1;
}

/* Reallocates array V (ELEM-byte items, capacity *CAP, NEED > *CAP) to hold
 * at least NEED items, doubling.  Returns the new array and updates *CAP, or
 * returns NULL on OOM or overflow, leaving V (still owned by the caller). */
static void *grow(void *v, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 16;

    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return NULL;
        c *= 2;
    }
    if ((v = realloc(v, c * elem)) != NULL)
        *cap = c;
    return v;
}

/* ---- output buffer ------------------------------------------------------ */

/* Appends S[0..N) to B, keeping it NUL-terminated; sets b->oom on failure. */
static void sb_add(sbuf *b, const char *s, size_t n)
{
    char *nb;

    if (b->oom || n == 0)
        return;
    if (n >= b->cap - b->len) {
        if (n > SIZE_MAX - b->len - 1 || !(nb = grow(b->buf, &b->cap, b->len + n + 1, 1))) {
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

/* ---- parser ------------------------------------------------------------- */

/* Appends a node of kind K for STR[0..LEN) at source offset POS to P's tree.
 * Returns the node (valid until the next append) or NULL with *p->err set. */
static tnode *tree_add(parser *p, enum kind k, size_t pos, const char *str, size_t len)
{
    tree *t = p->t;
    tnode *n;

    if (t->n == t->cap) {
        if (!(n = grow(t->v, &t->cap, t->n + 1, sizeof *n))) {
            fail(p->err, p->src, pos, "out of memory");
            return NULL;
        }
        t->v = n;
    }
    n = &t->v[t->n++];
    *n = (tnode){ .kind = k, .str = str, .len = len, .pos = pos, .end = NONE };
    return n;
}

/* Adds a text node for source range [from, to) if it is non-empty. */
static int add_text(parser *p, size_t from, size_t to)
{
    if (from >= to)
        return 0;
    return tree_add(p, K_TEXT, from, p->src->s + from, to - from) ? 0 : -1;
}

/* Applies the set-delimiter tag TG (content "OPEN CLOSE") to P's delimiters. */
static int set_delims(parser *p, const tag *tg)
{
    const char *s = tg->name;
    size_t n = tg->nlen, a = 0, b, i;
    int ok;

    while (a < n && !is_space(s[a]))
        a++;
    for (b = a; b < n && is_space(s[b]); b++)
        ;
    ok = a > 0 && b < n && a <= MAX_DELIM && n - b <= MAX_DELIM && !memchr(s, '=', n);
    for (i = b; ok && i < n; i++)
        ok = !is_space(s[i]);
    if (!ok) {
        char snip[48];
        snippet(snip, sizeof snip, p->src->s + tg->start, tg->end - tg->start);
        return fail(p->err, p->src, tg->start, "bad set-delimiter tag '%s'", snip);
    }
    memcpy(p->otag, s, a);
    p->olen = a;
    memcpy(p->ctag, s + b, n - b);
    p->clen = n - b;
    return 0;
}

/* Reads the tag whose opening delimiter is at offset AT into TG (a
 * set-delimiter tag takes effect immediately).  Returns 0, or -1 with
 * *p->err set for an unclosed, empty or malformed tag. */
static int read_tag(parser *p, size_t at, tag *tg)
{
    const char *s = p->src->s;
    size_t len = p->src->len, q = at + p->olen, clen = 0, hit;
    char c = q < len ? s[q] : '\0', close[MAX_DELIM + 2];

    tg->start = at;
    tg->kind = c == '#' ? K_SECTION : c == '^' ? K_INVERTED : c == '/' ? K_CLOSE
             : c == '>' ? K_PARTIAL : c == '!' ? K_COMMENT : c == '=' ? K_DELIM
             : c == '&' || c == '{' ? K_RAW : K_VAR;
    if (tg->kind != K_VAR)
        q++;
    if (c == '{' || c == '=')
        close[clen++] = c == '{' ? '}' : '=';
    memcpy(close + clen, p->ctag, p->clen);
    clen += p->clen;
    if ((hit = find(s, len, q, close, clen)) == NONE) {
        size_t e = at;
        char snip[48];
        while (e < len && s[e] != '\n' && s[e] != '\r')
            e++;
        snippet(snip, sizeof snip, s + at, e - at);
        return fail(p->err, p->src, at, "unclosed tag '%s'", snip);
    }
    tg->end = hit + clen;
    tg->name = s + q;
    tg->nlen = hit - q;
    trim(&tg->name, &tg->nlen);
    if (tg->kind == K_DELIM)
        return set_delims(p, tg);
    if (tg->kind != K_COMMENT && tg->nlen == 0)
        return fail(p->err, p->src, at, "empty tag");
    return 0;
}

/* Returns 1 if TG may stand alone and is the only thing on its line apart
 * from blanks; then *NEXT is the offset just past the line's newline. */
static int standalone(const parser *p, const tag *tg, size_t *next)
{
    const char *s = p->src->s;
    size_t len = p->src->len, i;

    if (tg->kind == K_VAR || tg->kind == K_RAW || p->line_tagged)
        return 0;
    for (i = p->line_start; i < tg->start; i++)
        if (!is_blank(s[i]))
            return 0;
    for (i = tg->end; i < len && is_blank(s[i]); i++)
        ;
    if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n')
        i++;
    if (i < len && s[i] != '\n')
        return 0;
    *next = i < len ? i + 1 : len;
    return 1;
}

/* Closes the innermost open section with closing tag TG, checking names. */
static int close_section(parser *p, const tag *tg)
{
    char want[48], got[48];
    tnode *open;
    size_t parent;

    snippet(got, sizeof got, tg->name, tg->nlen);
    if (p->open == NONE)
        return fail(p->err, p->src, tg->start, "unexpected closing tag '%s'", got);
    open = &p->t->v[p->open];
    if (open->len != tg->nlen || memcmp(open->str, tg->name, tg->nlen) != 0) {
        snippet(want, sizeof want, open->str, open->len);
        return fail(p->err, p->src, tg->start, "section '%s' closed by '%s'", want, got);
    }
    parent = open->end; /* while open, END links to the enclosing section */
    open->end = p->t->n;
    p->open = parent;
    return 0;
}

/* Turns tag TG into a node (or closes a section); IND/ILEN is the
 * indentation of a standalone tag, kept for partials. */
static int add_tag(parser *p, const tag *tg, const char *ind, size_t ilen)
{
    tnode *n;

    if (tg->kind == K_COMMENT || tg->kind == K_DELIM)
        return 0;
    if (tg->kind == K_CLOSE)
        return close_section(p, tg);
    if (!(n = tree_add(p, tg->kind, tg->start, tg->name, tg->nlen)))
        return -1;
    if (tg->kind == K_PARTIAL) {
        n->ind = ind;
        n->ind_len = ilen;
    } else if (tg->kind == K_SECTION || tg->kind == K_INVERTED) {
        n->end = p->open;
        p->open = p->t->n - 1;
    }
    return 0;
}

/* Parses SRC (default delimiters) into T; the caller frees t->v even on
 * failure.  Returns 0, or -1 with *ERR set. */
static int parse(const tsrc *src, tree *t, char **err)
{
    parser p = { src, t, err, 0, 0, 0, NONE, "{{", "}}", 2, 2 };

    while (p.pos < src->len) {
        size_t at = find(src->s, src->len, p.pos, p.otag, p.olen), next = 0, i;
        tag tg;

        if (at == NONE) {
            if (add_text(&p, p.pos, src->len) < 0)
                return -1;
            break;
        }
        for (i = at; i > p.pos; i--)
            if (src->s[i - 1] == '\n') {
                p.line_start = i;
                p.line_tagged = 0;
                break;
            }
        if (read_tag(&p, at, &tg) < 0)
            return -1;
        if (standalone(&p, &tg, &next)) {
            if (add_text(&p, p.pos, p.line_start) < 0
                || add_tag(&p, &tg, src->s + p.line_start, at - p.line_start) < 0)
                return -1;
            p.pos = p.line_start = next;
            p.line_tagged = 0;
        } else {
            if (add_text(&p, p.pos, at) < 0 || add_tag(&p, &tg, NULL, 0) < 0)
                return -1;
            p.pos = tg.end;
            p.line_tagged = 1;
        }
    }
    if (p.open != NONE) {
        char name[48];
        snippet(name, sizeof name, t->v[p.open].str, t->v[p.open].len);
        return fail(err, src, t->v[p.open].pos, "unclosed section '%s'", name);
    }
    return 0;
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
        json_t **ns = grow(r->stack, &r->cap, r->depth + 1, sizeof *ns);
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
        return fail(&r->err, src, n->pos, "sections and partials nested too deep (limit %d)",
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
        return fail(&r->err, src, t->v[i].pos, "out of memory");
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
    for (k = 0; k < json_array_size(v) && rc == 0; k++)
        rc = render_body(r, src, t, i, json_array_get(v, k));
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
        snippet(snip, sizeof snip, n->str, n->len);
        return fail(&r->err, src, n->pos, "partial nesting too deep (limit %d) at '%s'",
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
    if (parse(&sub, &t, &r->err) < 0 || enter(r, src, n) < 0)
        goto done;
    r->partial_depth++;
    rc = render_range(r, &sub, &t, 0, t.n);
    r->partial_depth--;
    r->nest--;
    goto done;
oom:
    rc = fail(&r->err, src, n->pos, "out of memory");
done:
    free(t.v);
    if (text != body)
        free(text);
    free(body);
    free(name);
    return rc;
}

/* Renders nodes [FROM, TO) of T (parsed from SRC) into r->out.  Returns 0,
 * or -1 with r->err set. */
static int render_range(renderer *r, const tsrc *src, const tree *t, size_t from, size_t to)
{
    size_t i = from;
    int rc = 0;

    while (i < to && rc == 0) {
        const tnode *n = &t->v[i];

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
        if (rc == 0 && r->out.oom)
            rc = fail(&r->err, src, n->pos, "out of memory");
        i = (n->kind == K_SECTION || n->kind == K_INVERTED) ? n->end : i + 1;
    }
    return rc;
}

/* ---- public API --------------------------------------------------------- */

/* Shared body of pv_render and pv_render_raw; ESCAPE selects HTML escaping
 * of {{name}}.  See template.h for the ownership of OUT and ERRMSG. */
static int render_top(const char *tmpl, size_t len, json_t *ctx, pv_partial_fn partials,
                      void *pdata, int escape, char **out, size_t *out_len, char **errmsg)
{
    tsrc src = { tmpl ? tmpl : "", tmpl ? len : 0, NULL, 0 };
    tree t = { NULL, 0, 0 };
    renderer r;
    int rc = -1;

    memset(&r, 0, sizeof r);
    r.partials = partials;
    r.pdata = pdata;
    r.escape = escape;
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!out || (!tmpl && len)) {
        fail(&r.err, &src, 0, "invalid arguments");
        goto done;
    }
    if (ctx && push(&r, ctx) < 0) {
        fail(&r.err, &src, 0, "out of memory");
        goto done;
    }
    if (parse(&src, &t, &r.err) < 0 || render_range(&r, &src, &t, 0, t.n) < 0)
        goto done;
    if (!r.out.buf && !(r.out.buf = calloc(1, 1))) {
        fail(&r.err, &src, 0, "out of memory");
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
    return render_top(tmpl, len, ctx, partials, pdata, 1, out, out_len, errmsg);
}

int pv_render_raw(const char *tmpl, json_t *ctx, char **out, char **errmsg)
{
    return render_top(tmpl, tmpl ? strlen(tmpl) : 0, ctx, NULL, NULL, 0, out, NULL, errmsg);
}
