/* template_parse.c - the Mustache parser (see template.h): a template
 * source becomes a flat array of nodes, so syntax errors are reported before
 * any output is produced.  A section node's body is the node range (i, end).
 * Node strings point into the source text.  Also the error and array
 * helpers the renderer shares (template_int.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

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

void pv_tpl_snippet(char *dst, size_t cap, const char *s, size_t n)
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

int pv_tpl_fail(char **err, const tsrc *src, size_t pos, const char *fmt, ...)
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
        pv_tpl_snippet(name, sizeof name, src->partial, strlen(src->partial));
        snprintf(where, sizeof where, " (in partial '%s')", name);
    }
    n = snprintf(NULL, 0, "%zu:%zu: %s%s", line, col, msg, where);
    if (n >= 0 && (*err = malloc((size_t)n + 1)) != NULL)
        snprintf(*err, (size_t)n + 1, "%zu:%zu: %s%s", line, col, msg, where);
    return -1;
}

void *pv_tpl_grow(void *v, size_t *cap, size_t need, size_t elem)
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

/* ---- parser ------------------------------------------------------------- */

/* Appends a node of kind K for STR[0..LEN) at source offset POS to P's tree.
 * Returns the node (valid until the next append) or NULL with *p->err set. */
static tnode *tree_add(parser *p, enum kind k, size_t pos, const char *str, size_t len)
{
    tree *t = p->t;
    tnode *n;

    if (t->n == t->cap) {
        if (!(n = pv_tpl_grow(t->v, &t->cap, t->n + 1, sizeof *n))) {
            pv_tpl_fail(p->err, p->src, pos, "out of memory");
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
        pv_tpl_snippet(snip, sizeof snip, p->src->s + tg->start, tg->end - tg->start);
        return pv_tpl_fail(p->err, p->src, tg->start, "bad set-delimiter tag '%s'", snip);
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
        pv_tpl_snippet(snip, sizeof snip, s + at, e - at);
        return pv_tpl_fail(p->err, p->src, at, "unclosed tag '%s'", snip);
    }
    tg->end = hit + clen;
    tg->name = s + q;
    tg->nlen = hit - q;
    trim(&tg->name, &tg->nlen);
    if (tg->kind == K_DELIM)
        return set_delims(p, tg);
    if (tg->kind != K_COMMENT && tg->nlen == 0)
        return pv_tpl_fail(p->err, p->src, at, "empty tag");
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

    pv_tpl_snippet(got, sizeof got, tg->name, tg->nlen);
    if (p->open == NONE)
        return pv_tpl_fail(p->err, p->src, tg->start, "unexpected closing tag '%s'", got);
    open = &p->t->v[p->open];
    if (open->len != tg->nlen || memcmp(open->str, tg->name, tg->nlen) != 0) {
        pv_tpl_snippet(want, sizeof want, open->str, open->len);
        return pv_tpl_fail(p->err, p->src, tg->start, "section '%s' closed by '%s'", want, got);
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
int pv_tpl_parse(const tsrc *src, tree *t, char **err)
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
        pv_tpl_snippet(name, sizeof name, t->v[p.open].str, t->v[p.open].len);
        return pv_tpl_fail(err, src, t->v[p.open].pos, "unclosed section '%s'", name);
    }
    return 0;
}
