/* template_int.h - what the Mustache parser (template_parse.c) and the
 * renderer (template.c) share: the source, its parsed nodes, and the
 * helpers both report errors and grow arrays with (prefix pv_tpl_).
 * Internal to the host; the API is template.h. */
#ifndef PV_TEMPLATE_INT_H
#define PV_TEMPLATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "template.h"

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

/* Parse SRC into T (an empty tree the caller frees with free(T->v)).
 * Returns 0, or -1 with *ERR set ("line:col: message"). */
int pv_tpl_parse(const tsrc *src, tree *t, char **err);

/* Unless *ERR is already set (the innermost error wins), sets it to a
 * malloc'd "line:col: message" for offset POS of SRC, suffixed with the
 * partial's name when SRC is a partial.  Always returns -1. */
int pv_tpl_fail(char **err, const tsrc *src, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes a printable copy of S[0..N) into DST (CAP >= 8 bytes): control
 * bytes become '?', and text that does not fit is cut and marked "...". */
void pv_tpl_snippet(char *dst, size_t cap, const char *s, size_t n);

/* Reallocates array V (ELEM-byte items, capacity *CAP, NEED > *CAP) to hold
 * at least NEED items, doubling.  Returns the new array and updates *CAP, or
 * returns NULL on OOM or overflow, leaving V (still owned by the caller). */
void *pv_tpl_grow(void *v, size_t *cap, size_t need, size_t elem);

#endif
