/*
 * yaml.c -- YAML (and JSON, which YAML reads) to jansson, streamed.
 *
 * libyaml's event parser feeds a small stack machine; each finished
 * document is handed to a callback and freed before the next one is read,
 * so memory is bounded by the largest document, not by the file.
 *
 * Scalars resolve by the YAML 1.2 core schema (what Backstage's js-yaml
 * uses): plain null/true/false/numbers become JSON null/booleans/numbers,
 * everything quoted or tagged !!str stays a string.
 *
 * Aliases are shared, not copied (a jansson value may sit in two
 * containers), and every alias adds the size of what it stands for to the
 * document's node count; a document over CAT_YAML_MAX_NODES is refused.
 * That is what stops a "billion laughs" alias bomb: it is refused after a
 * bounded amount of work and memory, before anything expands it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "catalog.h"

/* One open mapping or sequence. */
struct frame {
	json_t *node;        /* the container being filled */
	char   *key;         /* mapping: key waiting for its value */
	char   *anchor;      /* anchor of this container, if any */
	long    start;       /* doc node count when it opened */
};

/* An anchored node of the current document. */
struct anchor {
	char   *name;
	json_t *node;
	long    size;        /* nodes it stands for, aliases expanded */
};

struct parse {
	const char    *name;
	yaml_parser_t  parser;
	struct frame   stack[CAT_YAML_MAX_DEPTH];
	int            depth;
	struct anchor *anchors;
	size_t         nanchors, capanchors;
	json_t        *root;
	long           nodes;
	int            doc_line, doc_col;
};

/* Forget the anchors of the finished document. */
static void drop_anchors(struct parse *p)
{
	for (size_t i = 0; i < p->nanchors; i++) {
		free(p->anchors[i].name);
		json_decref(p->anchors[i].node);
	}
	p->nanchors = 0;
}

/* Drop every open frame and the document built so far. */
static void drop_doc(struct parse *p)
{
	for (int i = 0; i < p->depth; i++) {
		json_decref(p->stack[i].node);
		free(p->stack[i].key);
		free(p->stack[i].anchor);
	}
	p->depth = 0;
	json_decref(p->root);
	p->root = NULL;
	p->nodes = 0;
	drop_anchors(p);
}

/* Remember NODE (borrowed) under ANCHOR; later definitions win. */
static int add_anchor(struct parse *p, const char *anchor, json_t *node, long size)
{
	if (p->nanchors == p->capanchors) {
		size_t n = p->capanchors ? p->capanchors * 2 : 16;
		struct anchor *a = realloc(p->anchors, n * sizeof *a);
		if (!a)
			return -1;
		p->anchors = a, p->capanchors = n;
	}
	struct anchor *a = &p->anchors[p->nanchors];
	if (!(a->name = strdup(anchor)))
		return -1;
	a->node = json_incref(node);
	a->size = size;
	p->nanchors++;
	return 0;
}

/* Count N more nodes; an error once the document grows past the limit. */
static int count(struct parse *p, long n, yaml_mark_t m, char **errmsg)
{
	p->nodes += n;
	if (p->nodes > CAT_YAML_MAX_NODES)
		return cat_err(errmsg, "%s:%zu:%zu: document expands to more than %ld nodes "
		               "(YAML aliases nested too deep: an alias bomb?); refused",
		               p->name, m.line + 1, m.column + 1, CAT_YAML_MAX_NODES);
	return 0;
}

/* Attach VALUE (a new reference, stolen) to the open container or make it
 * the document root.  A scalar arriving where a key is expected is the key. */
static int attach(struct parse *p, json_t *value, const char *text, bool scalar,
                  yaml_mark_t m, char **errmsg)
{
	if (p->depth == 0) {
		p->root = value;
		return 0;
	}
	struct frame *f = &p->stack[p->depth - 1];
	if (json_is_array(f->node))
		return json_array_append_new(f->node, value) ? cat_err(errmsg, "out of memory") : 0;
	if (!f->key) {
		json_decref(value);
		if (!scalar)
			return cat_err(errmsg, "%s:%zu:%zu: a mapping key must be a scalar",
			               p->name, m.line + 1, m.column + 1);
		if (json_object_get(f->node, text))
			return cat_err(errmsg, "%s:%zu:%zu: duplicate key '%s'", p->name,
			               m.line + 1, m.column + 1, text);
		if (!(f->key = strdup(text)))
			return cat_err(errmsg, "out of memory");
		return 0;
	}
	int rc = json_object_set_new(f->node, f->key, value);
	free(f->key);
	f->key = NULL;
	return rc ? cat_err(errmsg, "out of memory") : 0;
}

/* Whether TEXT matches the YAML 1.2 core-schema float pattern. */
static bool is_float(const char *s)
{
	const char *p = s;
	bool digits = false;
	if (*p == '+' || *p == '-')
		p++;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF"))
		return true;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits = true;
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* Resolve a plain scalar: null, bool, int, float, else NULL (a string). */
static json_t *resolve_plain(const char *s)
{
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	    !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	const char *d = s + (*s == '-' || *s == '+');
	int base = 10;
	if (d[0] == '0' && d[1] == 'x' && d == s)
		base = 16, d += 2;
	else if (d[0] == '0' && d[1] == 'o' && d == s)
		base = 8, d += 2;
	if (*d) {
		const char *q = d;
		for (; *q; q++) {
			bool ok = base == 16 ? strchr("0123456789abcdefABCDEF", *q) != NULL
			        : base == 8 ? (*q >= '0' && *q <= '7') : (*q >= '0' && *q <= '9');
			if (!ok)
				break;
		}
		if (*q == '\0') {
			errno = 0;
			long long v = strtoll(base == 10 ? s : d, NULL, base);
			if (errno == 0)
				return json_integer(v);
			return NULL;   /* too big: keep the text */
		}
	}
	if (is_float(s)) {
		if (strstr(s, "inf") || strstr(s, "Inf") || strstr(s, "INF"))
			return NULL;   /* JSON has no infinity: keep the text */
		return json_real(strtod(s, NULL));
	}
	return NULL;
}

/* Whether the string S would read back as something other than a string
 * when written plain (used by the emitter to decide on quoting). */
static bool needs_quotes(const char *s)
{
	json_t *v = resolve_plain(s);
	json_decref(v);
	return v != NULL || !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
}

/* Handle one scalar event. */
static int on_scalar(struct parse *p, yaml_event_t *ev, char **errmsg)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	json_t *v = NULL;
	if (count(p, 1, ev->start_mark, errmsg))
		return -1;
	bool is_key = p->depth > 0 && json_is_object(p->stack[p->depth - 1].node) &&
	              !p->stack[p->depth - 1].key;
	if (!is_key && ev->data.scalar.plain_implicit && !tag)
		v = resolve_plain(text);
	if (!v && !is_key && tag && !strcmp(tag, YAML_NULL_TAG))
		v = json_null();
	if (!v)
		v = json_stringn(text, ev->data.scalar.length);
	if (!v)
		return cat_err(errmsg, "%s:%zu:%zu: scalar is not valid UTF-8", p->name,
		               ev->start_mark.line + 1, ev->start_mark.column + 1);
	if (ev->data.scalar.anchor && add_anchor(p, (const char *)ev->data.scalar.anchor, v, 1)) {
		json_decref(v);
		return cat_err(errmsg, "out of memory");
	}
	return attach(p, v, text, true, ev->start_mark, errmsg);
}

/* Open a mapping or sequence. */
static int on_open(struct parse *p, yaml_event_t *ev, bool mapping, char **errmsg)
{
	if (p->depth == CAT_YAML_MAX_DEPTH)
		return cat_err(errmsg, "%s:%zu:%zu: nesting deeper than %d levels", p->name,
		               ev->start_mark.line + 1, ev->start_mark.column + 1,
		               CAT_YAML_MAX_DEPTH);
	if (p->depth > 0 && json_is_object(p->stack[p->depth - 1].node) &&
	    !p->stack[p->depth - 1].key)
		return cat_err(errmsg, "%s:%zu:%zu: a mapping key must be a scalar", p->name,
		               ev->start_mark.line + 1, ev->start_mark.column + 1);
	if (count(p, 1, ev->start_mark, errmsg))
		return -1;
	const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor
	                                    : ev->data.sequence_start.anchor;
	struct frame *f = &p->stack[p->depth];
	memset(f, 0, sizeof *f);
	f->node = mapping ? json_object() : json_array();
	f->start = p->nodes;
	if (anchor)
		f->anchor = strdup((const char *)anchor);
	if (!f->node || (anchor && !f->anchor)) {
		json_decref(f->node);
		free(f->anchor);
		return cat_err(errmsg, "out of memory");
	}
	p->depth++;
	return 0;
}

/* Close the innermost container and attach it to its parent. */
static int on_close(struct parse *p, yaml_event_t *ev, char **errmsg)
{
	struct frame f = p->stack[--p->depth];
	int rc = 0;
	free(f.key);
	if (f.anchor)
		rc = add_anchor(p, f.anchor, f.node, p->nodes - f.start + 1);
	free(f.anchor);
	if (rc) {
		json_decref(f.node);
		return cat_err(errmsg, "out of memory");
	}
	return attach(p, f.node, NULL, false, ev->start_mark, errmsg);
}

/* Handle an alias: share the anchored node, counting its full size. */
static int on_alias(struct parse *p, yaml_event_t *ev, char **errmsg)
{
	const char *name = (const char *)ev->data.alias.anchor;
	for (size_t i = p->nanchors; i-- > 0;) {
		if (strcmp(p->anchors[i].name, name) != 0)
			continue;
		if (count(p, p->anchors[i].size, ev->start_mark, errmsg))
			return -1;
		json_t *v = p->anchors[i].node;
		const char *text = json_is_string(v) ? json_string_value(v) : NULL;
		bool key_slot = p->depth > 0 && json_is_object(p->stack[p->depth - 1].node) &&
		                !p->stack[p->depth - 1].key;
		if (key_slot && !text)
			return cat_err(errmsg, "%s:%zu:%zu: a mapping key must be a scalar",
			               p->name, ev->start_mark.line + 1, ev->start_mark.column + 1);
		return attach(p, json_incref(v), text, text != NULL, ev->start_mark, errmsg);
	}
	return cat_err(errmsg, "%s:%zu:%zu: unknown alias '*%s'", p->name,
	               ev->start_mark.line + 1, ev->start_mark.column + 1, name);
}

/* Format libyaml's own error as "NAME:LINE:COL: problem (context)". */
static int parser_error(struct parse *p, char **errmsg)
{
	yaml_parser_t *y = &p->parser;
	if (y->error == YAML_MEMORY_ERROR)
		return cat_err(errmsg, "%s: out of memory", p->name);
	if (y->error == YAML_READER_ERROR)
		return cat_err(errmsg, "%s:%zu:%zu: %s", p->name, p->doc_line > 0 ?
		               (size_t)p->doc_line : 1, (size_t)1,
		               y->problem ? y->problem : "cannot read the file");
	if (y->context)
		return cat_err(errmsg, "%s:%zu:%zu: %s %s (started at line %zu)", p->name,
		               y->problem_mark.line + 1, y->problem_mark.column + 1,
		               y->problem ? y->problem : "syntax error", y->context,
		               y->context_mark.line + 1);
	return cat_err(errmsg, "%s:%zu:%zu: %s", p->name, y->problem_mark.line + 1,
	               y->problem_mark.column + 1, y->problem ? y->problem : "syntax error");
}

/* Run the event loop over the parser already set up in P. */
static int run(struct parse *p, cat_doc_fn fn, void *ud, char **errmsg)
{
	int rc = 0;
	for (bool done = false; !done && rc == 0;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p->parser, &ev)) {
			rc = parser_error(p, errmsg);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			p->doc_line = (int)ev.start_mark.line + 1;
			p->doc_col = (int)ev.start_mark.column + 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (p->root) {
				int r = fn(p->root, p->doc_line, p->doc_col, ud, errmsg);
				if (r < 0)
					rc = -1;
				else if (r > 0)
					done = true;
			}
			drop_doc(p);
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(p, &ev, errmsg);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			rc = on_open(p, &ev, ev.type == YAML_MAPPING_START_EVENT, errmsg);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_close(p, &ev, errmsg);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(p, &ev, errmsg);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	drop_doc(p);
	free(p->anchors);
	yaml_parser_delete(&p->parser);
	return rc;
}

int cat_yaml_parse_file(const char *name, cat_doc_fn fn, void *ud, char **errmsg)
{
	FILE *f = fopen(name, "rb");
	if (!f)
		return cat_err(errmsg, "%s: cannot open: %s", name, strerror(errno));
	struct parse *p = calloc(1, sizeof *p);
	if (!p || !yaml_parser_initialize(&p->parser)) {
		free(p);
		fclose(f);
		return cat_err(errmsg, "out of memory");
	}
	p->name = name;
	yaml_parser_set_input_file(&p->parser, f);
	int rc = run(p, fn, ud, errmsg);
	free(p);
	fclose(f);
	return rc;
}

int cat_yaml_parse_string(const char *name, const char *text, size_t len,
                          cat_doc_fn fn, void *ud, char **errmsg)
{
	struct parse *p = calloc(1, sizeof *p);
	if (!p || !yaml_parser_initialize(&p->parser)) {
		free(p);
		return cat_err(errmsg, "out of memory");
	}
	p->name = name;
	yaml_parser_set_input_string(&p->parser, (const unsigned char *)text, len);
	int rc = run(p, fn, ud, errmsg);
	free(p);
	return rc;
}

/* ---- emitter ------------------------------------------------------------ */

/* Emit one scalar with the given text, quoting strings that would
 * otherwise read back as another type. */
static int emit_scalar(yaml_emitter_t *e, const char *text, bool string)
{
	yaml_event_t ev;
	bool quote = string && needs_quotes(text);
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
	                             !quote, 1,
	                             quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
	                                   : YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

/* Emit the JSON value V as a YAML node, recursively. */
static int emit_node(yaml_emitter_t *e, json_t *v)
{
	yaml_event_t ev;
	char buf[64];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		json_object_foreach(v, k, x)
			if (emit_scalar(e, k, true) || emit_node(e, x))
				return -1;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		json_array_foreach(v, i, x)
			if (emit_node(e, x))
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	}
	case JSON_STRING:
		return emit_scalar(e, json_string_value(v), true);
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_scalar(e, buf, false);
	case JSON_REAL:
		snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
		if (!strpbrk(buf, ".eE"))
			strcat(buf, ".0");
		return emit_scalar(e, buf, false);
	case JSON_TRUE:
		return emit_scalar(e, "true", false);
	case JSON_FALSE:
		return emit_scalar(e, "false", false);
	default:
		return emit_scalar(e, "null", false);
	}
}

int cat_yaml_emit(FILE *out, json_t *entities, char **errmsg)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	size_t i;
	json_t *x;
	int rc = -1;
	if (!yaml_emitter_initialize(&e))
		return cat_err(errmsg, "out of memory");
	yaml_emitter_set_output_file(&e, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&e, &ev))
		goto done;
	json_array_foreach(entities, i, x) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
		if (!yaml_emitter_emit(&e, &ev) || emit_node(&e, x))
			goto done;
		yaml_document_end_event_initialize(&ev, 1);
		if (!yaml_emitter_emit(&e, &ev))
			goto done;
	}
	yaml_stream_end_event_initialize(&ev);
	if (yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e))
		rc = 0;
done:
	if (rc)
		cat_err(errmsg, "cannot write YAML: %s", e.problem ? e.problem : "output error");
	yaml_emitter_delete(&e);
	return rc;
}
