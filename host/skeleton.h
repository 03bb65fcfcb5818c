/*
 * skeleton.h -- rendering skeleton directories and whole-file I/O.
 */
#ifndef PV_SKELETON_H
#define PV_SKELETON_H

#include <sys/types.h>
#include <jansson.h>

/* Render directory SRC into the new directory DST with context CTX
 * (names and contents; binary files verbatim; modes kept).  *COUNT gets
 * the number of files written.  On failure DST is removed. */
int   pv_render_tree(const char *src, const char *dst, json_t *ctx, int *count, char **errmsg);
/* The same, each file name and content rendered within LIM (may be NULL;
 * template.h). */
struct pv_render_limits;
int   pv_render_tree_limited(const char *src, const char *dst, json_t *ctx,
                             const struct pv_render_limits *lim, int *count, char **errmsg);
char *pv_read_file(const char *path, size_t *len, char **errmsg);
int   pv_write_file(const char *path, const char *data, size_t n, mode_t mode, char **errmsg);

#endif
