/*
 * placeholder.c -- $text, $json and $yaml placeholders substituted as
 * Backstage's PlaceholderProcessor does, before validation.
 *
 * A placeholder is a mapping with exactly one key, "$text", "$json" or
 * "$yaml", whose value is a string: the whole mapping is replaced by the
 * file's text, its JSON value, or its single YAML document.  A mapping
 * with several keys, or an unknown $key, or a non-string value is left
 * alone (JSON Schema's "$ref" stays what it is).  Nothing is looked for
 * inside a substituted value.
 *
 * Where Backstage reads a URL relative to the location's URL, paved reads
 * a file relative to the entity's file, and only inside the import's root
 * (after symbolic links): "../../etc/passwd" is an error.  A URL
 * (https://...) is not fetched: the placeholder stays, with a warning.
 * Runs on the import's reader thread: no shared state.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"

#define MAX_FILE (16u << 20)

/* Whether PATH (a real path) is ROOT or inside it. */
bool cat_path_inside(const char *path, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Read file PATH whole into *TEXT (malloc()ed, NUL-terminated) and *LEN. */
static int slurp(const char *path, char **text, size_t *len, char **why)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	*text = NULL;
	if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		*why = strdup(f ? "not a regular file" : strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if ((size_t)sb.st_size > MAX_FILE) {
		fclose(f);
		*why = pc_printf("more than %u bytes", MAX_FILE);
		return -1;
	}
	*text = malloc((size_t)sb.st_size + 1);
	*len = *text ? fread(*text, 1, (size_t)sb.st_size, f) : 0;
	fclose(f);
	if (!*text) {
		*why = strdup("out of memory");
		return -1;
	}
	(*text)[*len] = '\0';
	return 0;
}

/* The value of placeholder KEY ("text", "json", "yaml") naming TARGET, read
 * relative to CTX's directory; NULL with *ERR set, or NULL with *ERR NULL
 * when it is to be left alone (a URL). */
static json_t *resolve(struct cat_placeholders *ph, const char *key, const char *target,
                       char **err)
{
	char real[PATH_MAX], *path = NULL, *text = NULL, *why = NULL;
	size_t len = 0;
	json_t *v = NULL;
	*err = NULL;
	if (strstr(target, "://")) {
		char *w = pc_printf("placeholder $%s: %s is not read: paved reads files, not URLs",
		                    key, target);
		if (w)
			json_array_append_new(ph->warnings, json_string(w));
		free(w);
		return NULL;
	}
	path = target[0] == '/' ? strdup(target) : pc_printf("%s/%s", ph->dir, target);
	if (!path || !realpath(path, real)) {
		*err = pc_printf("placeholder $%s: cannot read %s: %s", key, target,
		                 path ? strerror(errno) : "out of memory");
		goto out;
	}
	if (!cat_path_inside(real, ph->root)) {
		*err = pc_printf("placeholder $%s: %s is outside %s, the directory imported; not read",
		                 key, target, ph->root);
		goto out;
	}
	if (slurp(real, &text, &len, &why)) {
		*err = pc_printf("placeholder $%s: cannot read %s: %s", key, target, why);
		goto out;
	}
	if (!strcmp(key, "text")) {
		if (!(v = json_stringn(text, len)))
			*err = pc_printf("placeholder $text: %s is not UTF-8 text", target);
	} else if (!strcmp(key, "json")) {
		json_error_t je;
		if (!(v = json_loadb(text, len, JSON_DECODE_ANY, &je)))
			*err = pc_printf("placeholder $json: %s:%d:%d: %s", target, je.line, je.column,
			                 je.text);
	} else {
		struct paved_yaml_opts o = { .size = sizeof o, .text = text, .text_len = len,
		                             .flags = PAVED_YAML_NUL };
		char *yerr = NULL;
		if (paved->read_yaml(ph->ctx, target, &o, &v, &yerr) != PAVED_OK)
			*err = pc_printf("placeholder $yaml: %s", yerr ? yerr : "cannot parse");
		free(yerr);
	}
	if (v)
		ph->read++;
out:
	free(path), free(text), free(why);
	return v;
}

static int walk(struct cat_placeholders *ph, json_t *v);

/* X, a value inside an entity: its substitute when it is a placeholder
 * (a new reference in *OUT; NULL: leave it), else walked in place.  0, or
 * -1 with ph->err set. */
static int visit(struct cat_placeholders *ph, json_t *x, json_t **out)
{
	const char *k;
	*out = NULL;
	if (!cat_placeholder_of(x, &k))
		return walk(ph, x);
	*out = resolve(ph, k + 1, json_string_value(json_object_get(x, k)), &ph->err);
	return ph->err ? -1 : 0;
}

/* Substitute inside V (an entity or part of one), in place.  0, or -1
 * with ph->err set. */
static int walk(struct cat_placeholders *ph, json_t *v)
{
	const char *k;
	json_t *x, *r;
	size_t i;
	void *tmp;
	json_array_foreach(v, i, x) {
		if (visit(ph, x, &r))
			return -1;
		if (r)
			json_array_set_new(v, i, r);
	}
	json_object_foreach_safe(v, tmp, k, x) {
		if (visit(ph, x, &r))
			return -1;
		if (r)
			json_object_set_new(v, k, r);
	}
	return 0;
}

bool cat_placeholder_of(json_t *v, const char **key)
{
	const char *k;
	json_t *x;
	if (!json_is_object(v) || json_object_size(v) != 1)
		return false;
	json_object_foreach(v, k, x) {
		*key = k;
		return json_is_string(x) && (!strcmp(k, "$text") || !strcmp(k, "$json") ||
		                             !strcmp(k, "$yaml"));
	}
	return false;
}

int cat_placeholders_resolve(struct cat_placeholders *ph, json_t *entity)
{
	free(ph->err);
	ph->err = NULL;
	return json_is_object(entity) || json_is_array(entity) ? walk(ph, entity) : 0;
}
